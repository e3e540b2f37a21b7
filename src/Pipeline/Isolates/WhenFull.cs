namespace Pipeline.Isolates;

/// <summary>What a producer does when a mailbox is full.</summary>
public enum WhenFull
{
    /// <summary>Wait: backpressure travels upstream. Nothing is lost.</summary>
    Block,

    /// <summary>Drop the event being offered, and count it.</summary>
    DropNewest,
}
