namespace Pipeline.Decoding;

/// <summary>The log file formats that container runtimes write under /var/log/pods (read by kubelet's <c>kubectl logs</c>).</summary>
public enum ContainerLogFormat
{
    /// <summary>containerd and CRI-O: <c>&lt;RFC 3339 time&gt; &lt;stream&gt; &lt;P|F&gt; &lt;log&gt;</c>, one piece per line.</summary>
    Cri,

    /// <summary>Docker's json-file driver: <c>{"log":"text\n","stream":"stdout","time":"…"}</c>, one piece per line.</summary>
    DockerJson,
}
