namespace Pipeline.Sources;

public enum GeneratorShape
{
    /// <summary>A structured log record, one JSON object.</summary>
    Object,

    /// <summary>The same record serialized into a <c>log</c> string, with <c>stream</c> and <c>time</c>, as Docker's json-file driver writes it.</summary>
    DockerJson,
}
