using Pipeline.Telemetry;

namespace Pipeline.Tests.Observability;

public sealed class LatencyBucketsTests
{
    [Fact]
    public void Buckets_run_from_a_microsecond_to_ten_seconds_at_most_five_thirds_apart_with_the_slos_on_bounds()
    {
        var bounds = LatencyBuckets.Bounds;

        Assert.Equal(1e-6, bounds[0]);
        Assert.Equal(10, bounds[^1]);
        for (var i = 1; i < bounds.Count; i++)
        {
            Assert.InRange(bounds[i] / bounds[i - 1], 1.3, 1.67);
        }
        Assert.Contains(1e-5, bounds);
        Assert.Contains(1.0, bounds);
        // The thresholds of deploy/prometheus/rules: stage SLO default and lookup override, end-to-end alert.
        Assert.Contains(0.1, bounds);
        Assert.Contains(0.25, bounds);
        Assert.Contains(5.0, bounds);
    }

    [Fact]
    public void Quantile_interpolates_inside_the_bucket_where_the_rank_falls()
    {
        double[] bounds = [1, 2, 4];
        // 10 observations in (0,1], 80 in (1,2], 10 in (2,4], none above.
        double[] counts = [10, 80, 10, 0];

        // Rank 95 of 100: 5 into the 10 of (2,4], halfway.
        Assert.Equal(3, LatencyBuckets.Quantile(0.95, bounds, counts));
        // Rank 50: 40 into the 80 of (1,2], halfway.
        Assert.Equal(1.5, LatencyBuckets.Quantile(0.5, bounds, counts));
        Assert.Equal(0.5, LatencyBuckets.Quantile(0.05, bounds, counts));
        Assert.Equal(4, LatencyBuckets.Quantile(0.95, bounds, [0, 0, 0, 5]));
        Assert.Null(LatencyBuckets.Quantile(0.95, bounds, [0, 0, 0, 0]));
    }
}
