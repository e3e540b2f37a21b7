using Pipeline.Sources.Generator;

namespace Pipeline.Tests.Io;

public sealed class TokenBucketTests
{
    [Fact]
    public void Refills_arriving_microseconds_apart_lose_no_tokens()
    {
        // A nanosecond clock advanced 250 ns per refill: TimeSpan's 100 ns ticks would truncate every interval.
        var clock = new NanosecondClock();
        var bucket = new TokenBucket(ratePerSecond: 1000, clock);
        long taken = bucket.Take(10); // the initial token

        for (var i = 0; i < 42_000; i++) // 10.5 ms in all: ten more whole tokens
        {
            clock.Advance(250);
            taken += bucket.Take(10);
        }

        Assert.Equal(11, taken);
    }

    [Fact]
    public void The_wait_for_the_next_token_is_never_a_sub_millisecond_busy_spin()
    {
        var clock = new NanosecondClock();
        var bucket = new TokenBucket(ratePerSecond: 100, clock);
        Assert.Equal(1, bucket.Take(10));

        clock.Advance(9_950_000); // 0.995 of a token: 50 µs to go
        var wait = bucket.TimeUntilNextToken();

        Assert.Equal(TimeSpan.FromMilliseconds(1), wait);
    }

    private sealed class NanosecondClock : TimeProvider
    {
        private long _now = 1_000_000_000;

        public override long TimestampFrequency => 1_000_000_000;

        public override long GetTimestamp() => _now;

        public void Advance(long nanoseconds) => _now += nanoseconds;
    }
}
