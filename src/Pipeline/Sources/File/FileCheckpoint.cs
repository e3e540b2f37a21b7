namespace Pipeline.Sources.File;

/// <summary>
/// How far a file is done: every byte before <paramref name="Offset"/> was delivered, durably buffered or
/// dead-lettered (with acknowledgements on; else handed on). The file is named by <paramref name="Key"/> and
/// <paramref name="Fingerprint"/>; <paramref name="Path"/> is where it was last seen, for people reading the file.
/// </summary>
internal sealed record FileCheckpoint(string Path, FileKey Key, FileFingerprint Fingerprint, long Offset);
