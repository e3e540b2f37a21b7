namespace Pipeline.Isolates;

/// <summary>What <see cref="IsolatePool.TryAdmit"/> decided for an envelope offered to one of its isolates.</summary>
internal enum Admission
{
    /// <summary>In the mailbox, or dropped and counted there under <c>when_full: drop_newest</c>; the pool owns it.</summary>
    Admitted,

    /// <summary>The stage has failed: the envelope was dead-lettered at once; the pool took care of it.</summary>
    DeadLettered,

    /// <summary>The mailbox is full (or closed): nothing happened, the producer still owns the envelope.</summary>
    Full,
}
