{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "slo-prep.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: <release>-<chart>, or <release> alone when it already
contains the chart name.
*/}}
{{- define "slo-prep.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "slo-prep.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "slo-prep.labels" -}}
helm.sh/chart: {{ include "slo-prep.chart" . }}
{{ include "slo-prep.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: daemon
{{- end }}

{{/*
Selector labels: never change them in an upgrade (a Deployment's selector is immutable).
*/}}
{{- define "slo-prep.selectorLabels" -}}
app.kubernetes.io/name: {{ include "slo-prep.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "slo-prep.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "slo-prep.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "slo-prep.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
The Secret the environment variables come from: the user's, or the one the chart creates.
*/}}
{{- define "slo-prep.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "slo-prep.fullname" .) }}
{{- end }}

{{/*
"true" when the store is SQLite: no store.url (the daemon's default is SQLite) or a
sqlite: URL. A ${VAR} placeholder counts as PostgreSQL: it is how a database URL with a
password arrives, and a SQLite path holds no secret.
*/}}
{{- define "slo-prep.sqlite" -}}
{{- $store := .Values.config.store | default dict }}
{{- $url := $store.url | default "" | toString }}
{{- if or (eq $url "") (hasPrefix "sqlite:" $url) }}true{{ end }}
{{- end }}

{{/*
The container port, read from config.http.listen (host:port) so the daemon, the probes
and the Service never disagree.
*/}}
{{- define "slo-prep.port" -}}
{{- $http := .Values.config.http | default dict }}
{{- $listen := $http.listen | default "0.0.0.0:8080" | toString }}
{{- $port := regexFind "[0-9]+$" $listen }}
{{- if or (not $port) (eq $port "0") }}
{{- fail (printf "config.http.listen must end in a port from 1 to 65535 (got %q)" $listen) }}
{{- end }}
{{- $port }}
{{- end }}

{{/*
The Slack mode as the daemon reads it: YAML reads a bare `off` as false, which means off.
*/}}
{{- define "slo-prep.slackMode" -}}
{{- $slack := .Values.config.slack | default dict }}
{{- $mode := $slack.mode }}
{{- if or (not $slack) (kindIs "bool" $mode) (not $mode) }}off{{ else }}{{ $mode }}{{ end }}
{{- end }}

{{/*
Refuse values that would render a broken or unsafe release.
*/}}
{{- define "slo-prep.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (include "slo-prep.sqlite" .) }}
{{- fail "replicaCount > 1 needs a PostgreSQL store: with SQLite (config.store.url) every replica would run its own scheduler on its own file and post every pack twice. Set config.store.url to postgresql://... or ${STORE_URL}, or keep replicaCount: 1." }}
{{- end }}
{{- if and .Values.secrets.existingSecret .Values.secrets.values }}
{{- fail "secrets.values must be empty when secrets.existingSecret is set: the chart reads every key from that Secret and creates none." }}
{{- end }}
{{- end }}
