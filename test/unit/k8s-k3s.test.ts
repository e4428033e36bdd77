import { KubeConfig } from '@kubernetes/client-node';
import { K3sContainer, type StartedK3sContainer } from '@testcontainers/k3s';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, beforeAll, describe } from 'vitest';
import { targetFor } from '../support/k8s-api-target.ts';
import { defineInformerSuite } from '../support/k8s-informer-suite.ts';
import { defineLeaderElectionSuite } from '../support/k8s-leader-election-suite.ts';

/**
 * The informer and leader election tests again, against a real API server: k3s in a
 * container, where a Docker engine answers (testcontainers finds it the usual ways:
 * DOCKER_HOST, the socket, ...). Tests that need the test API server's fault injection
 * (compaction, stalls, bad objects a real server refuses) are skipped there; cutting
 * connections works through the TCP proxy on both.
 */

const K3S_IMAGE = 'rancher/k3s:v1.31.4-k3s1';

const dockerProblem = await getContainerRuntimeClient().then(
  () => undefined,
  (error: Error) => `k3s tier needs a Docker engine: ${error.message.split('\n')[0]}`,
);

const describeWithDocker = dockerProblem === undefined ? describe : describe.skip;

describeWithDocker(
  `against k3s (${K3S_IMAGE})${dockerProblem ? ` [skipped: ${dockerProblem}]` : ''}`,
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
