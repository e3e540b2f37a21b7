using Pipeline.Isolates;

namespace Pipeline.Tests.Runtime;

public sealed class RetryBackoffTests
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(50);

    [Theory]
    [InlineData(1, 50)]
    [InlineData(2, 100)]
    [InlineData(3, 200)]
    [InlineData(10, 25_600)]
    [InlineData(11, 30_000)]
    [InlineData(1_000, 30_000)]
    public void The_ceiling_doubles_per_retry_up_to_the_cap(int retry, int milliseconds)
        => Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), RetryBackoff.Ceiling(First, retry));

    [Fact]
    public void No_first_delay_or_no_retry_means_no_wait()
    {
        Assert.Equal(TimeSpan.Zero, RetryBackoff.Ceiling(TimeSpan.Zero, 3));
        Assert.Equal(TimeSpan.Zero, RetryBackoff.Ceiling(First, 0));
        Assert.Equal(TimeSpan.Zero, new RetryBackoff(TimeSpan.Zero, new Random(1)).Delay(5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    public void Full_jitter_spreads_each_wait_over_zero_to_the_ceiling(int retry)
    {
        var backoff = new RetryBackoff(First, new Random(20261203));
        var ceiling = RetryBackoff.Ceiling(First, retry);

        var waits = Enumerable.Range(0, 10_000).Select(_ => backoff.Delay(retry)).ToList();

        Assert.All(waits, wait => Assert.InRange(wait, TimeSpan.Zero, ceiling));
        // Uniform over the window: the extremes are reached and the mean sits in the middle.
        Assert.True(waits.Min() < ceiling * 0.01, $"shortest wait {waits.Min()} of {ceiling}");
        Assert.True(waits.Max() > ceiling * 0.99, $"longest wait {waits.Max()} of {ceiling}");
        Assert.InRange(waits.Average(w => w.Ticks) / ceiling.Ticks, 0.48, 0.52);
    }

    [Fact]
    public void The_same_seed_gives_the_same_waits()
    {
        var one = new RetryBackoff(First, new Random(7));
        var other = new RetryBackoff(First, new Random(7));

        Assert.Equal(
            Enumerable.Range(1, 20).Select(one.Delay),
            Enumerable.Range(1, 20).Select(other.Delay));
    }
}
