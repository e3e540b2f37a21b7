namespace Pipeline.Fuzzing;

/// <summary>
/// The W3C Trace Context traceparent grammar (https://www.w3.org/TR/trace-context/#traceparent-header), written
/// straight from the spec and nothing else, to judge the service's parser against: as plain as possible, not fast.
/// </summary>
public static class W3CTraceparentReference
{
    /// <summary>
    /// version "-" trace-id "-" parent-id "-" trace-flags, all lowercase hex: version 2 digits, not ff; trace-id 32
    /// digits, not all zero; parent-id 16 digits, not all zero; flags 2 digits. Version 00 is exactly that, 55
    /// characters; a later version may carry more after the flags, which must then be followed by a '-'.
    /// </summary>
    public static bool TryParse(string value, out string traceId, out string parentId, out byte flags)
    {
        traceId = parentId = "";
        flags = 0;
        var parts = value.Split('-');
        if (parts.Length < 4)
        {
            return false;
        }
        var (version, trace, parent, flagText) = (parts[0], parts[1], parts[2], parts[3]);
        if (!IsLowerHex(version, 2) || version == "ff" || !IsLowerHex(trace, 32) || !IsLowerHex(parent, 16) || !IsLowerHex(flagText, 2))
        {
            return false;
        }
        if (trace.All(c => c == '0') || parent.All(c => c == '0'))
        {
            return false;
        }
        // Version 00 has exactly four fields; a future version may have more, each after a '-' ("00-…-01-" is not 00).
        if (version == "00" && parts.Length != 4)
        {
            return false;
        }
        traceId = trace;
        parentId = parent;
        flags = Convert.ToByte(flagText, 16);
        return true;
    }

    private static bool IsLowerHex(string text, int length) => text.Length == length && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
