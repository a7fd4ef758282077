// zod schemas for kubeconfig files. A file is validated in two steps: its outer shape (lists of
// entries), then each cluster/user/context entry on its own, so one broken entry spoils only the
// contexts that use it — the others keep working. Unknown keys are kept (passthrough-free objects
// strip them; kubectl ignores unknown keys too).
import { z } from 'zod';

/** The outer shape: the lists are validated entry by entry later. `null` is what YAML gives for an
 * empty `clusters:` key, which kubectl accepts. */
export const kubeconfigFileSchema = z.object({
  clusters: z.array(z.unknown()).nullish(),
  users: z.array(z.unknown()).nullish(),
  contexts: z.array(z.unknown()).nullish(),
  'current-context': z.string().nullish(),
});

const entryName = z.string().min(1, 'the name is empty');

export const namedClusterSchema = z.object({
  name: entryName,
  cluster: z.object({
    server: z.string({ error: 'cluster.server is missing' }).min(1, 'cluster.server is empty'),
    'certificate-authority': z.string().optional(),
    'certificate-authority-data': z.string().optional(),
    'insecure-skip-tls-verify': z.boolean().optional(),
    'tls-server-name': z.string().optional(),
    'proxy-url': z.string().optional(),
  }, { error: 'the cluster block is missing' }),
});

const execEnvSchema = z.object({ name: z.string().min(1), value: z.string() });

export const execConfigSchema = z.object({
  command: z.string({ error: 'exec.command is missing' }).min(1, 'exec.command is empty'),
  args: z.array(z.string()).nullish(),
  env: z.array(execEnvSchema).nullish(),
  apiVersion: z.string().optional(),
  installHint: z.string().optional(),
  interactiveMode: z.string().optional(),
  provideClusterInfo: z.boolean().optional(),
});

export const namedUserSchema = z.object({
  name: entryName,
  // `user: {}` is valid (anonymous); YAML gives null for `user:` with nothing under it.
  user: z.object({
    token: z.string().optional(),
    tokenFile: z.string().optional(),
    'client-certificate': z.string().optional(),
    'client-certificate-data': z.string().optional(),
    'client-key': z.string().optional(),
    'client-key-data': z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    as: z.string().optional(),
    exec: execConfigSchema.optional(),
    'auth-provider': z.object({
      name: z.string().min(1, 'auth-provider.name is empty'),
      config: z.record(z.string(), z.string()).nullish(),
    }).optional(),
  }).nullish(),
});

export const namedContextSchema = z.object({
  name: entryName,
  context: z.object({
    cluster: z.string({ error: 'context.cluster is missing' }).min(1, 'context.cluster is empty'),
    user: z.string().optional(),
    namespace: z.string().optional(),
  }, { error: 'the context block is missing' }),
});

export type KubeconfigFile = z.infer<typeof kubeconfigFileSchema>;
export type NamedCluster = z.infer<typeof namedClusterSchema>;
export type NamedUser = z.infer<typeof namedUserSchema>;
export type NamedContext = z.infer<typeof namedContextSchema>;
export type ExecConfig = z.infer<typeof execConfigSchema>;

/** One-line summary of a zod failure: where and what, never the value (it may be a secret). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
