/**
 * Deterministic stratified sampling, shared by `label:bootstrap` (strata:
 * months) and `audit` (strata: decision source × score band).
 *
 * Each item's place in the draw is a hash of the seed and its id, so the same
 * seed draws the same items whatever order the lake lists them in, and a larger
 * sample with the same seed contains the smaller one's items of each stratum.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Options of {@linkcode stratifiedSample}. */
export interface SampleOptions<T> {
  /** How many items to draw in all (fewer when there are fewer). */
  n: number;
  /** The seed: the same seed draws the same items. */
  seed: string | number;
  /** The item's stratum. */
  stratum: (item: T) => string;
  /** The item's stable id. */
  id: (item: T) => string;
}

/**
 * The rank of an id under a seed: a hash, so the draw is uniform and stable.
 *
 * @param seed The seed.
 * @param id The item's id.
 * @returns A hex string to sort by.
 */
export function drawRank(seed: string | number, id: string): string {
  return createHash("sha256").update(`${seed}\n${id}`).digest("hex");
}

/**
 * How many items each stratum gives: proportional to its size (largest
 * remainder), and at least one from every stratum when `n` allows, so that a
 * small stratum (a quiet month, the LLM's decisions) is never left out.
 *
 * @param sizes Items per stratum.
 * @param n Items wanted in all.
 * @returns Items to draw per stratum, same keys.
 * @example
 * ```ts
 * import { allocate } from "./sample.ts";
 * allocate(new Map([["a", 90], ["b", 10]]), 10); // Map { "a" => 9, "b" => 1 }
 * ```
 */
export function allocate(sizes: ReadonlyMap<string, number>, n: number): Map<string, number> {
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const out = new Map<string, number>();
  if (total <= n) {
    for (const [k, v] of sizes) out.set(k, v);
    return out;
  }
  const keys = [...sizes.keys()].filter((k) => sizes.get(k)! > 0).sort();
  const quotas = keys.map((k) => ({ k, q: (sizes.get(k)! * n) / total }));
  let given = 0;
  for (const { k, q } of quotas) {
    out.set(k, Math.floor(q));
    given += Math.floor(q);
  }
  // Largest remainders first; ties by key, so the result does not depend on input order.
  quotas.sort((a, b) => (b.q - Math.floor(b.q)) - (a.q - Math.floor(a.q)) || (a.k < b.k ? -1 : 1));
  for (let i = 0; given < n && i < quotas.length; i++) {
    out.set(quotas[i]!.k, out.get(quotas[i]!.k)! + 1);
    given++;
  }
  // Every stratum gives one at least: taken from the stratum that gives the most.
  if (n >= keys.length) {
    for (const k of keys) {
      if (out.get(k)! > 0) continue;
      const richest = keys.reduce((a, b) => (out.get(b)! > out.get(a)! ? b : a));
      out.set(richest, out.get(richest)! - 1);
      out.set(k, 1);
    }
  }
  return out;
}

/**
 * Draws a stratified sample.
 *
 * @param items The population.
 * @param options The size, seed, stratum and id.
 * @returns The drawn items, sorted by stratum then draw rank.
 */
export function stratifiedSample<T>(items: readonly T[], options: SampleOptions<T>): T[] {
  const strata = new Map<string, { item: T; rank: string }[]>();
  for (const item of items) {
    const s = options.stratum(item);
    let list = strata.get(s);
    if (!list) strata.set(s, list = []);
    list.push({ item, rank: drawRank(options.seed, options.id(item)) });
  }
  const quota = allocate(new Map([...strata].map(([k, v]) => [k, v.length])), Math.max(0, options.n));
  const out: T[] = [];
  for (const k of [...strata.keys()].sort()) {
    const list = strata.get(k)!.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    out.push(...list.slice(0, quota.get(k) ?? 0).map((x) => x.item));
  }
  return out;
}
