using Elastic.Transport;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// The Authorization header an <c>auth:</c> block made, in the transport's form: one type for basic, api_key and
/// bearer, since the transport's own types each take their secret apart again only to join it back.
/// </summary>
internal sealed class ElasticsearchAuthorization(string scheme, string parameter) : AuthorizationHeader
{
    public override string AuthScheme { get; } = scheme;

    public override bool TryGetAuthorizationParameters(out string value)
    {
        value = parameter;
        return true;
    }
}
