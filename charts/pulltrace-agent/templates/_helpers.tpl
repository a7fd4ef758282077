{{/* sha256 of the agent bundle: names the immutable ConfigMap and is checked by the container before it starts. */}}
{{- define "pulltrace-agent.bundleSha256" -}}
{{ .Files.Get "files/pulltrace-agent.cjs" | sha256sum }}
{{- end -}}
