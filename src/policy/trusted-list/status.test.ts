import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { describeCertificate } from '../../x509/describe.js'
import { pemToDer } from '../../x509/pem.js'
import { matchesCriteria } from './criteria.js'
import { findServicesForCertificate } from './find.js'
import { parseTrustedList } from './parse.js'
import { serviceStatusAt } from './status.js'
import type { TrustService } from './types.js'
import { QUALIFIERS, SERVICE_STATUSES } from './uris.js'

const fixture = (name: string): Buffer => readFileSync(new URL(`../../../fixtures/${name}`, import.meta.url))
const fr = parseTrustedList(fixture('tl/FR-TL-seq112-2023-02-23.xml'))
const jorryDer = pemToDer(fixture('certs/Mathieu-JORRY-3310003898jm__3727ba76.pem').toString('utf8'))[0] as Uint8Array
const jorry = describeCertificate(jorryDer)

function service(providerFragment: string, name: string): TrustService {
  const found = fr.providers.find((p) => p.name.includes(providerFragment))?.services.find((s) => s.name === name)
  if (found === undefined) throw new Error(`no service ${name}`)
  return found
}

describe('findServicesForCertificate', () => {
  it('finds the ANTS "Autorité de Certification Personnes AAE" service that issued the Mathieu JORRY leaf', () => {
    const matches = findServicesForCertificate(fr, jorryDer)
    expect(matches.map(({ provider, service }) => [provider.name, service.name, service.statusStartingTime.toISOString()])).toEqual([
      ['Agence Nationale des Titres Sécurisés', 'Autorité de Certification Personnes AAE', '2022-03-21T01:00:43.000Z'],
    ])
    // The issuer serialNumber=3 of the leaf is the one the service names.
    expect(matches[0]?.service.digitalIdentity.subjectNames[0]).toMatch(/^SERIALNUMBER=3, /)
  })

  it('finds nothing for a certificate no listed CA issued', () => {
    const universignCa = pemToDer(fixture('certs/Universign-Primary-CA-hardware__0a373229.pem').toString('utf8'))[0] as Uint8Array
    expect(findServicesForCertificate(fr, universignCa)).toEqual([])
  })

  it('refuses bytes that are not a certificate', () => {
    expect(() => findServicesForCertificate(fr, new Uint8Array([1, 2, 3]))).toThrow(
      expect.objectContaining({ code: 'CERTIFICATE_MALFORMED' }),
    )
  })
})

describe('serviceStatusAt and matchesCriteria on the real ANTS AAE service (serialNumber=3)', () => {
  const [match] = findServicesForCertificate(fr, jorryDer)
  const aae = match?.service as TrustService

  it('gives the history instance before the 2022-03-21 change and the current information after it', () => {
    const before = serviceStatusAt(aae, new Date('2021-11-24T00:00:00Z'))
    const after = serviceStatusAt(aae, new Date('2023-03-01T00:00:00Z'))
    expect(before?.statusStartingTime.toISOString()).toBe('2019-08-28T00:00:00.000Z')
    expect(before?.status).toBe(SERVICE_STATUSES.granted)
    expect(after).toBe(aae)
    expect(serviceStatusAt(aae, new Date('2022-03-21T01:00:43Z'))).toBe(aae)
    expect(serviceStatusAt(aae, new Date('2019-08-27T23:59:59Z'))).toBeUndefined()
  })

  it('matches the leaf only under the criteria in force once its policy OID was listed', () => {
    // The leaf's policy 1.2.250.1.200.3.1.2.3.2 was added to the service's PolicySets on 2022-03-21.
    expect(jorry.policies).toEqual(['1.2.250.1.200.3.1.2.3.2'])
    const [current] = serviceStatusAt(aae, new Date('2023-03-01T00:00:00Z'))?.qualifications ?? []
    const [older] = serviceStatusAt(aae, new Date('2021-11-24T00:00:00Z'))?.qualifications ?? []
    expect(current?.qualifiers).toEqual([QUALIFIERS.qcWithQscd])
    expect(matchesCriteria(current!.criteria, jorry)).toEqual({ matches: true, unknownCriteria: false })
    expect(matchesCriteria(older!.criteria, jorry)).toEqual({ matches: false, unknownCriteria: false })
    expect(matchesCriteria(current!.criteria, { keyUsage: ['nonRepudiation'], policies: ['1.2.250.1.200.2.3.1.2'] }).matches).toBe(false)
  })

  it('requires every OID of a multi-OID PolicySet', () => {
    const [older] = serviceStatusAt(aae, new Date('2021-11-24T00:00:00Z'))?.qualifications ?? []
    const criteria = older!.criteria
    expect(matchesCriteria(criteria, { keyUsage: [], policies: ['1.2.250.1.200.3.1.2.3.1'] }).matches).toBe(false)
    expect(matchesCriteria(criteria, { keyUsage: [], policies: ['1.2.250.1.200.3.1.2.3.1', '1.2.250.1.200.3.1.5.3.1'] }).matches).toBe(true)
  })
})

describe('serviceStatusAt on withdrawn services', () => {
  it('sees ChamberSign "Signitio RGS **" granted in 2017 and withdrawn after 2017-11-01', () => {
    const signitio = service('ChamberSign', 'Signitio RGS **')
    expect(serviceStatusAt(signitio, new Date('2010-01-01T00:00:00Z'))).toBeUndefined()
    expect(serviceStatusAt(signitio, new Date('2015-01-01T00:00:00Z'))?.status).toBe(SERVICE_STATUSES.accredited)
    expect(serviceStatusAt(signitio, new Date('2017-06-01T00:00:00Z'))?.status).toBe(SERVICE_STATUSES.granted)
    expect(serviceStatusAt(signitio, new Date('2017-11-01T01:00:00Z'))?.status).toBe(SERVICE_STATUSES.withdrawn)
  })

  it('lets the current information win over a history instance with the same starting time', () => {
    // "Signitio RGS ***": withdrawn from 2016-06-30T22:00:00Z, and a history instance granted from the same instant.
    const signitio3 = service('ChamberSign', 'Signitio RGS ***')
    expect(signitio3.history[0]?.statusStartingTime).toEqual(signitio3.statusStartingTime)
    expect(serviceStatusAt(signitio3, new Date('2020-01-01T00:00:00Z'))?.status).toBe(SERVICE_STATUSES.withdrawn)
  })
})

describe('matchesCriteria on the real Certinomis Prime CA G2 criteria', () => {
  const g2 = service('Certinomis', 'Certinomis - Prime CA G2')
  const criteria = g2.qualifications[0]!.criteria

  it('needs nonRepudiation AND one of the two signature OIDs (nested atLeastOne)', () => {
    expect(matchesCriteria(criteria, { keyUsage: ['nonRepudiation'], policies: ['1.2.250.1.86.2.6.6.2.1'] }).matches).toBe(true)
    expect(matchesCriteria(criteria, { keyUsage: ['digitalSignature'], policies: ['1.2.250.1.86.2.6.6.2.1'] }).matches).toBe(false)
    expect(matchesCriteria(criteria, { keyUsage: ['nonRepudiation'], policies: ['1.2.250.1.86.2.6.3.30.1'] }).matches).toBe(false)
  })
})

describe('matchesCriteria semantics', () => {
  const base = { keyUsage: [], policySets: [], criteriaLists: [], otherCriteria: [] } as const

  it('treats a false KeyUsageBit as "must be clear"', () => {
    const criteria = { ...base, assert: 'all' as const, keyUsage: [{ nonRepudiation: true, keyEncipherment: false }] }
    expect(matchesCriteria(criteria, { keyUsage: ['nonRepudiation'], policies: [] }).matches).toBe(true)
    expect(matchesCriteria(criteria, { keyUsage: ['nonRepudiation', 'keyEncipherment'], policies: [] }).matches).toBe(false)
  })

  it('applies assert="none"', () => {
    const criteria = { ...base, assert: 'none' as const, policySets: [['1.2.3.4']] }
    expect(matchesCriteria(criteria, { keyUsage: [], policies: ['1.2.3.4'] }).matches).toBe(false)
    expect(matchesCriteria(criteria, { keyUsage: [], policies: ['1.2.3.5'] }).matches).toBe(true)
  })

  it('counts an unknown criterion as not matching and flags it, even when nested', () => {
    const unknown = { ...base, assert: 'all' as const, otherCriteria: [{ namespace: 'urn:x', name: 'ExtendedKeyUsage' }] }
    const outer = { ...base, assert: 'atLeastOne' as const, policySets: [['1.2.3.4']], criteriaLists: [unknown] }
    expect(matchesCriteria(outer, { keyUsage: [], policies: ['1.2.3.4'] })).toEqual({ matches: true, unknownCriteria: true })
    expect(matchesCriteria(outer, { keyUsage: [], policies: [] })).toEqual({ matches: false, unknownCriteria: true })
  })
})
