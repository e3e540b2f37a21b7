namespace Pipeline.Config;

/// <summary>One stage-setting key, described for the component reference.</summary>
public sealed record StageSettingInfo(string Name, string TypeName, string DefaultText, string Description);
