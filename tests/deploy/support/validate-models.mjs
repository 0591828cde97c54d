// Validates Kubernetes objects against their OpenAPI / CRD schemas with the kubernetes-models
// classes. Those packages are ES modules only, which jest (CommonJS here) cannot load, so the
// tests run this file with plain node: JSON array of {id, obj} on stdin, JSON array of
// {id, error} on stdout (error null when valid).
import { readFileSync } from 'node:fs';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const models = new Map();
for (const mod of [core, apps, batch, policy, autoscaling, keda, monitoring]) {
  for (const value of Object.values(mod)) {
    if (typeof value === 'function' && value.apiVersion && value.kind) {
      models.set(`${value.apiVersion}/${value.kind}`, value);
    }
  }
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = input.map(({ id, obj }) => {
  const Model = models.get(`${obj?.apiVersion}/${obj?.kind}`);
  if (!Model) return { id, error: `no schema known for ${obj?.apiVersion} ${obj?.kind}` };
  try {
    new Model(obj).validate();
    return { id, error: null };
  } catch (err) {
    return { id, error: String(err?.message ?? err) };
  }
});
process.stdout.write(JSON.stringify(results));
