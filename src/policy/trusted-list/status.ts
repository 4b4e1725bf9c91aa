/**
 * The state of a trust service at a given time, from its current information and its history.
 *
 * @packageDocumentation
 */

import type { ServiceStatusEntry, TrustService } from './types.js'

/**
 * The status entry in force at `date`: the one with the latest `statusStartingTime` not after `date`. It
 * carries the status URI and the additional service information and qualifications of that period.
 * Undefined before the service's first status.
 *
 * @example
 * ```ts
 * const entry = serviceStatusAt(service, signingTime)
 * const granted = entry?.status === SERVICE_STATUSES.granted
 * ```
 */
export function serviceStatusAt(service: TrustService, date: Date): ServiceStatusEntry | undefined {
  const time = date.getTime()
  let best: ServiceStatusEntry | undefined
  // The current information first: on equal starting times it is the newer statement and wins.
  for (const entry of [service, ...service.history]) {
    const start = entry.statusStartingTime.getTime()
    if (start <= time && (best === undefined || start > best.statusStartingTime.getTime())) best = entry
  }
  return best
}
