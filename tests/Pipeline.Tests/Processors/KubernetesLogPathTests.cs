using Pipeline.Processors.Kubernetes;

namespace Pipeline.Tests.Processors;

public sealed class KubernetesLogPathTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("/var/log/containers/web-7d4b9c-x2x9q_shop_nginx-" + Id + ".log", "shop", "web-7d4b9c-x2x9q", "nginx")]
    [InlineData("/var/log/containers/coredns-5d78c9869d-abcde_kube-system_coredns-" + Id + ".log", "kube-system", "coredns-5d78c9869d-abcde", "coredns")]
    [InlineData("/var/log/containers/etcd-cp.example.com_kube-system_etcd-" + Id + ".log", "kube-system", "etcd-cp.example.com", "etcd")]
    [InlineData("/host/var/log/containers/a_b_c-" + Id + ".log", "b", "a", "c")]
    public void A_containers_path_gives_pod_namespace_container_and_container_id(string path, string ns, string pod, string container)
    {
        Assert.True(ContainerLogPath.TryParse(path, out var parsed));
        Assert.Equal(ns, parsed.Namespace);
        Assert.Equal(pod, parsed.Name);
        Assert.Equal(container, System.Text.Encoding.UTF8.GetString(parsed.ContainerName));
        Assert.Equal(Id, System.Text.Encoding.UTF8.GetString(parsed.ContainerId!));
        Assert.Null(parsed.PodUid);
    }

    [Fact]
    public void A_pods_path_gives_namespace_pod_uid_and_container()
    {
        Assert.True(ContainerLogPath.TryParse("/var/log/pods/shop_web-7d4b9c-x2x9q_5f1c2d3e-aaaa-bbbb-cccc-0123456789ab/nginx/3.log", out var parsed));
        Assert.Equal("shop", parsed.Namespace);
        Assert.Equal("web-7d4b9c-x2x9q", parsed.Name);
        Assert.Equal("nginx", System.Text.Encoding.UTF8.GetString(parsed.ContainerName));
        Assert.Equal("5f1c2d3e-aaaa-bbbb-cccc-0123456789ab", System.Text.Encoding.UTF8.GetString(parsed.PodUid!));
        Assert.Null(parsed.ContainerId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/var/log/syslog")]
    [InlineData("/var/log/containers/web_shop_nginx-" + Id + ".txt")]
    [InlineData("/var/log/containers/web_shop_nginx-0123.log")]
    [InlineData("/var/log/containers/web_shop_nginx" + Id + ".log")]
    [InlineData("/var/log/containers/web_shop-" + Id + ".log")]
    [InlineData("/var/log/containers/web_shop_extra_nginx-" + Id + ".log")]
    [InlineData("/var/log/containers/Web_shop_nginx-" + Id + ".log")]
    [InlineData("/var/log/containers/_shop_nginx-" + Id + ".log")]
    [InlineData("/var/log/other/web_shop_nginx-" + Id + ".log")]
    [InlineData("/var/log/pods/shop_web_uid-1/nginx/current.log")]
    [InlineData("/var/log/pods/shop_web/nginx/0.log")]
    [InlineData("/var/log/pods/shop_web_5f1c2d3e/nginx/extra/0.log")]
    [InlineData("/var/log/pods/shop_web_5f1c2d3e/Nginx_x/0.log")]
    [InlineData("/var/log/nodes/shop_web_5f1c2d3e/nginx/0.log")]
    public void Any_other_path_matches_neither_layout(string path)
        => Assert.False(ContainerLogPath.TryParse(path, out _));
}
