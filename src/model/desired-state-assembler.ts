import type { DesiredState, Frontend, HostRoute, NotOffloaded } from './desired-state.ts';
import type { ServiceModel } from './service-frontends.ts';

/**
 * Puts the per-Service models together into one DesiredState, and keeps it up to date
 * when one Service changes without looking at the others. Two Services can ask for the
 * same frontend (an external IP given twice): the one whose "namespace/name" sorts first
 * gets it, the other is reported as not offloaded. The result depends only on the set of
 * models given, never on the order they arrived in.
 *
 * Frontend objects of an unchanged Service keep their identity from one build() to the
 * next, so a consumer may skip them with `===`. The frontends map's iteration order
 * carries no meaning.
 */
export class DesiredStateAssembler {
  private readonly models = new Map<string, ServiceModel>();
  /** The models with something not offloaded (few), so build() need not visit every one. */
  private readonly reporting = new Map<string, readonly NotOffloaded[]>();
  /** frontend key -> service key -> the frontend that service asks for. */
  private readonly claims = new Map<string, Map<string, Frontend>>();
  private readonly winners = new Map<string, Frontend>();
  private readonly contested = new Set<string>();
  private routes: readonly HostRoute[] = [];
  private excludedClients: readonly string[] = [];

  /** Replaces what one Service asks for (undefined: the Service is gone). */
  setService(serviceKey: string, model: ServiceModel | undefined): void {
    const previous = this.models.get(serviceKey);
    if (previous === model) return;
    const touched = new Set<string>();
    for (const frontend of previous?.frontends ?? []) {
      this.claims.get(frontend.key)?.delete(serviceKey);
      touched.add(frontend.key);
    }
    if (model === undefined || (model.frontends.length === 0 && model.notOffloaded.length === 0)) {
      this.models.delete(serviceKey);
    } else {
      this.models.set(serviceKey, model);
    }
    if (model !== undefined && model.notOffloaded.length > 0)
      this.reporting.set(serviceKey, model.notOffloaded);
    else this.reporting.delete(serviceKey);
    for (const frontend of model?.frontends ?? []) {
      let claimants = this.claims.get(frontend.key);
      if (claimants === undefined) this.claims.set(frontend.key, (claimants = new Map()));
      claimants.set(serviceKey, frontend);
      touched.add(frontend.key);
    }
    for (const key of touched) this.electWinner(key);
  }

  setRoutes(routes: readonly HostRoute[]): void {
    this.routes = routes;
  }

  setExcludedClients(addresses: readonly string[]): void {
    this.excludedClients = addresses;
  }

  /** A fresh DesiredState; later changes to the assembler do not reach it. */
  build(): DesiredState {
    const notOffloaded: NotOffloaded[] = [];
    for (const items of this.reporting.values()) notOffloaded.push(...items);
    for (const key of this.contested) {
      const winner = this.winners.get(key)!;
      for (const frontend of this.claims.get(key)!.values()) {
        if (frontend === winner) continue;
        notOffloaded.push({
          service: frontend.service,
          reason: `${frontend.kind} ${frontend.ip} port ${frontend.port}/${frontend.protocol} is already served for ${winner.service.namespace}/${winner.service.name}`,
        });
      }
    }
    notOffloaded.sort(compareNotOffloaded);
    return {
      frontends: new Map(this.winners),
      routes: this.routes,
      notOffloaded,
      ...(this.excludedClients.length > 0 ? { excludedClients: this.excludedClients } : {}),
    };
  }

  private electWinner(frontendKey: string): void {
    const claimants = this.claims.get(frontendKey);
    if (claimants === undefined || claimants.size === 0) {
      this.claims.delete(frontendKey);
      this.winners.delete(frontendKey);
      this.contested.delete(frontendKey);
      return;
    }
    let winnerKey: string | undefined;
    for (const serviceKey of claimants.keys()) {
      if (winnerKey === undefined || serviceKey < winnerKey) winnerKey = serviceKey;
    }
    this.winners.set(frontendKey, claimants.get(winnerKey!)!);
    if (claimants.size > 1) this.contested.add(frontendKey);
    else this.contested.delete(frontendKey);
  }
}

function compareNotOffloaded(a: NotOffloaded, b: NotOffloaded): number {
  const left = `${a.service.namespace}/${a.service.name}/${a.service.portName}/${a.reason}`;
  const right = `${b.service.namespace}/${b.service.name}/${b.service.portName}/${b.reason}`;
  return left < right ? -1 : left > right ? 1 : 0;
}
