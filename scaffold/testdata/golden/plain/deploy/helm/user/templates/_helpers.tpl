{{/*
Names are cut to 52 characters: Kubernetes labels a StatefulSet's revisions
"<name>-<10-char hash>", and a label value holds at most 63.
*/}}
{{- define "user.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 52 | trimSuffix "-" }}
{{- end }}

{{- define "user.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The headless Service that gives every node a stable DNS name. */}}
{{- define "user.peersName" -}}
{{- printf "%s-peers" (include "user.fullname" .) }}
{{- end }}

{{- define "user.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "user.labels" -}}
helm.sh/chart: {{ include "user.chart" . }}
{{ include "user.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "user.name" . }}
{{- end }}

{{- define "user.selectorLabels" -}}
app.kubernetes.io/name: {{ include "user.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "user.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "user.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* A majority of replicaCount: the nodes that must stay up to write. */}}
{{- define "user.quorum" -}}
{{- add (div (int .Values.replicaCount) 2) 1 }}
{{- end }}
