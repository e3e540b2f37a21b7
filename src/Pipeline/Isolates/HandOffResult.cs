namespace Pipeline.Isolates;

/// <summary>How <see cref="ComponentOutput.SendAsync"/> ended.</summary>
internal enum HandOffResult
{
    /// <summary>
    /// Every consumer took its copy; from here the consumers own it (a copy may also have been dropped under
    /// <c>drop_newest</c>, or dead-lettered by a failed stage or as undrained at the hard stop, each counted there).
    /// </summary>
    Accepted,

    /// <summary>The output has no consumer: the event was released; the producer counts the discard.</summary>
    Unconsumed,

    /// <summary>The producer's deadline passed while a mailbox stayed full: nothing was handed over.</summary>
    Backpressure,

    /// <summary>The topology started stopping during the wait: nothing was handed over.</summary>
    ShuttingDown,
}
