namespace Pipeline.Processors.Expressions;

/// <summary>A case mapping applied lazily to a string field by <c>lower()</c> / <c>upper()</c>, so no string is created.</summary>
internal enum TextCase : byte
{
    None,
    Lower,
    Upper,
}
