// The kinds the manifests under k8s/ use, from the packages that carry their published schemas.
// tests/deploy/support/strict-schema.ts turns these declarations into k8s/schemas/kubernetes-strict.schema.json
// (every object closed: an unknown or misspelt field is an error, as with kubectl --validate=strict).
export type { INamespace } from 'kubernetes-models/v1/Namespace';
export type { IService } from 'kubernetes-models/v1/Service';
export type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
export type { ISecret } from 'kubernetes-models/v1/Secret';
export type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
export type { IJob } from 'kubernetes-models/batch/v1/Job';
export type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
export type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
export type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
export type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
export type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
export type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
export type { ITriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
