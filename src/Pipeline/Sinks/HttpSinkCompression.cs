namespace Pipeline.Sinks;

public enum HttpSinkCompression
{
    None,
    Gzip,
}
