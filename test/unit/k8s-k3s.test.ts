import { KubeConfig } from '@kubernetes/client-node';
import { K3sContainer, type StartedK3sContainer } from '@testcontainers/k3s';
import { afterAll, beforeAll, describe } from 'vitest';
import { containerTier } from '../support/tiers.ts';
import { targetFor } from '../support/k8s-api-target.ts';
import { defineInformerSuite } from '../support/k8s-informer-suite.ts';
import { defineLeaderElectionSuite } from '../support/k8s-leader-election-suite.ts';

/**
 * The informer and leader election tests again, against a real API server: k3s in a
 * container, where a container engine answers and holds the k3s image (no registry is
 * assumed reachable; testcontainers finds the engine the usual ways: DOCKER_HOST, the
 * socket, ...). Tests that need the test API server's fault injection
 * (compaction, stalls, bad objects a real server refuses) are skipped there; cutting
 * connections works through the TCP proxy on both.
 */

const K3S_IMAGE = 'rancher/k3s:v1.31.4-k3s1';

const k3sTier = containerTier('k3s tier', [K3S_IMAGE]);

(k3sTier.available ? describe : describe.skip)(
  `against k3s (${K3S_IMAGE})${k3sTier.available ? '' : ` [skipped: ${k3sTier.reason}]`}`,
  () => {
    let k3s: StartedK3sContainer;

    beforeAll(async () => {
      k3s = await new K3sContainer(K3S_IMAGE).start();
    }, 300_000);

    afterAll(async () => {
      await k3s?.stop();
    });

    const target = () => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(k3s.getKubeConfig());
      return targetFor('k3s', kubeConfig, undefined, async () => {});
    };

    defineInformerSuite(target, { faults: false });
    defineLeaderElectionSuite(target, { faults: false });
  },
);
