namespace Pipeline.Tests.Io;

internal sealed record InvalidInput(string Reason, byte[] Raw);
