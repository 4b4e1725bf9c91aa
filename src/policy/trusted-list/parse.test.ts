import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { describeCertificate } from '../../x509/describe.js'
import { pemToDer } from '../../x509/pem.js'
import { parseTrustedList } from './parse.js'
import type { TrustService, TrustServiceProvider } from './types.js'
import { ADDITIONAL_SERVICE_INFO, QUALIFIERS, SERVICE_STATUSES, SERVICE_TYPES, TSL_TYPES, TSL_XML_MIME_TYPE } from './uris.js'

const fixture = (name: string): Buffer => readFileSync(new URL(`../../../fixtures/${name}`, import.meta.url))
const fr = parseTrustedList(fixture('tl/FR-TL-seq112-2023-02-23.xml'), { file: 'FR-TL-seq112-2023-02-23.xml' })
const lotl = parseTrustedList(fixture('tl/EU-LOTL-seq332-2023-09-27.xml'))
const jorry = pemToDer(fixture('certs/Mathieu-JORRY-3310003898jm__3727ba76.pem').toString('utf8'))[0] as Uint8Array

function provider(fragment: string): TrustServiceProvider {
  const found = fr.providers.find((p) => p.name.includes(fragment))
  if (found === undefined) throw new Error(`no provider ${fragment}`)
  return found
}

function service(p: TrustServiceProvider, name: string, start?: string): TrustService {
  const found = p.services.find((s) => s.name.trim() === name && (start === undefined || s.statusStartingTime.toISOString() === start))
  if (found === undefined) throw new Error(`no service ${name}`)
  return found
}

const history = (s: TrustService): [string, string][] =>
  s.history.map((h) => [h.status.split('/').pop() ?? '', h.statusStartingTime.toISOString()])

describe('parseTrustedList on the French TL seq 112', () => {
  it('reads the scheme information', () => {
    expect(fr.schemeTerritory).toBe('FR')
    expect(fr.sequenceNumber).toBe(112)
    expect(fr.versionIdentifier).toBe(5)
    expect(fr.issueDate.toISOString()).toBe('2023-02-23T01:00:07.000Z')
    expect(fr.nextUpdate?.toISOString()).toBe('2023-08-23T00:00:07.000Z')
    expect(fr.tslType).toBe(TSL_TYPES.euGeneric)
    expect(fr.isListOfLists).toBe(false)
    expect(fr.schemeOperatorName).toBe('French Network Information Security Agency')
    expect(fr.schemeOperatorNames).toContainEqual({
      lang: 'fr',
      value: "Agence nationale de la sécurité des systèmes d'information (ANSSI)",
    })
  })

  it('finds every provider and service', () => {
    // Counted on the file, independently of this parser:
    //   grep -c '<TrustServiceProvider>' → 33;  grep -c '<TSPService>' → 190;
    //   grep -A1 '<ServiceInformation>' | grep -c 'Svctype/CA/QC<' → 109 (current type CA/QC; history instances excluded).
    // Python's xml.etree with namespaced paths gave the same 33 / 190 / 109.
    expect(fr.providers).toHaveLength(33)
    expect(fr.providers.flatMap((p) => p.services)).toHaveLength(190)
    expect(fr.providers.flatMap((p) => p.services).filter((s) => s.typeIdentifier === SERVICE_TYPES.caQc)).toHaveLength(109)
  })

  it('reads the ANTS services and their status history, newest first', () => {
    const ants = provider('Titres Sécurisés')
    expect(ants.name).toBe('Agence Nationale des Titres Sécurisés')
    expect(ants.services).toHaveLength(14)
    const act = service(ants, 'Acteur des Collectivités Territoriales - Signature 3 étoiles')
    expect(act.status).toBe(SERVICE_STATUSES.withdrawn)
    expect(act.statusStartingTime.toISOString()).toBe('2018-06-01T00:00:00.000Z')
    expect(history(act)).toEqual([
      ['granted', '2016-06-30T22:00:00.000Z'],
      ['accredited', '2011-11-16T23:00:00.000Z'],
    ])
    const aae3 = service(ants, 'Autorité de Certification Personnes AAE', '2022-03-21T01:00:43.000Z')
    expect(aae3.status).toBe(SERVICE_STATUSES.granted)
    expect(aae3.additionalServiceInfo).toEqual([ADDITIONAL_SERVICE_INFO.forESignatures])
    expect(aae3.digitalIdentity.subjectNames).toEqual([
      'SERIALNUMBER=3, CN=Autorité de Certification Personnes AAE, OU=0002 130003262, O=Agence Nationale des Titres Sécurisés, C=FR',
    ])
    expect(history(aae3)).toEqual([['granted', '2019-08-28T00:00:00.000Z']])
    // The X509SKI of the TL and the SKI extension of the certificate next to it must agree.
    const [certificate] = aae3.digitalIdentity.certificates
    expect(certificate).toBeDefined()
    expect(aae3.digitalIdentity.subjectKeyIdentifiers).toEqual([describeCertificate(certificate as Uint8Array).subjectKeyIdentifier])
  })

  it('reads the ChamberSign and Certinomis services, including withdrawn RGS-era ones', () => {
    const chambersign = provider('ChamberSign')
    expect(chambersign.services.map((s) => s.name)).toEqual([
      'Europrobatio',
      'Signitio RGS **',
      'Signitio RGS ***',
      'Eurodacio',
      'Eiducio',
      'Eiducio',
    ])
    const signitio = service(chambersign, 'Signitio RGS **')
    expect(signitio.status).toBe(SERVICE_STATUSES.withdrawn)
    expect(signitio.statusStartingTime.toISOString()).toBe('2017-11-01T01:00:00.000Z')
    expect(history(signitio)).toEqual([
      ['granted', '2016-06-30T22:00:00.000Z'],
      ['accredited', '2011-10-13T22:00:00.000Z'],
    ])
    const certinomis = provider('Certinomis')
    expect(certinomis.services).toHaveLength(7)
    const g2 = service(certinomis, 'Certinomis - Prime CA G2')
    expect(history(g2)).toEqual([
      ['granted', '2022-12-01T01:00:48.000Z'],
      ['granted', '2022-11-30T01:00:42.000Z'],
      ['granted', '2022-02-16T01:00:04.000Z'],
      ['granted', '2021-04-01T00:00:00.000Z'],
    ])
    const twoStars = service(certinomis, 'Certinomis AC 2 stars')
    expect(twoStars.status).toBe(SERVICE_STATUSES.withdrawn)
    expect(history(twoStars).map(([status]) => status)).toEqual(['granted', 'accredited'])
  })

  it('reads a Qualifications extension with nested criteria exactly', () => {
    // Certinomis Prime CA G2, first QualificationElement: KU nonRepudiation AND (either of two signature OIDs).
    const g2 = service(provider('Certinomis'), 'Certinomis - Prime CA G2')
    expect(g2.qualifications[0]).toEqual({
      qualifiers: [QUALIFIERS.qcWithQscd],
      criteria: {
        assert: 'all',
        keyUsage: [{ nonRepudiation: true }],
        policySets: [],
        criteriaLists: [
          {
            assert: 'atLeastOne',
            keyUsage: [],
            policySets: [['1.2.250.1.86.2.6.3.2.1'], ['1.2.250.1.86.2.6.6.2.1']],
            criteriaLists: [],
            otherCriteria: [],
          },
        ],
        otherCriteria: [],
        description: 'Certificat de signature',
      },
    })
  })

  it('keeps the qualifications each history instance had', () => {
    const aae3 = service(provider('Titres Sécurisés'), 'Autorité de Certification Personnes AAE', '2022-03-21T01:00:43.000Z')
    const description = 'Délivrance de certificat de signature électronique'
    expect(aae3.qualifications).toEqual([
      {
        qualifiers: [QUALIFIERS.qcWithQscd],
        criteria: {
          assert: 'atLeastOne',
          keyUsage: [],
          policySets: [['1.2.250.1.200.3.1.2.3.1', '1.2.250.1.200.3.1.5.3.1'], ['1.2.250.1.200.3.1.5.3.2'], ['1.2.250.1.200.3.1.2.3.2']],
          criteriaLists: [],
          otherCriteria: [],
          description,
        },
      },
    ])
    expect(aae3.history[0]?.qualifications[0]?.criteria.policySets).toEqual([['1.2.250.1.200.3.1.2.3.1', '1.2.250.1.200.3.1.5.3.1']])
  })
})

describe('parseTrustedList on the EU LOTL seq 332', () => {
  it('reads the scheme information and the pointers', () => {
    expect(lotl.schemeTerritory).toBe('EU')
    expect(lotl.sequenceNumber).toBe(332)
    expect(lotl.isListOfLists).toBe(true)
    expect(lotl.tslType).toBe(TSL_TYPES.euListOfTheLists)
    expect(lotl.issueDate.toISOString()).toBe('2023-09-27T09:00:29.000Z')
    expect(lotl.providers).toEqual([])
    // grep -c '<OtherTSLPointer>' on the file → 43.
    expect(lotl.pointers).toHaveLength(43)
  })

  it('points to the French TL with its three signing certificates, one of which signed seq 112', () => {
    const pointer = lotl.pointers.find((p) => p.territory === 'FR' && p.mimeType === TSL_XML_MIME_TYPE)
    expect(pointer?.location).toBe('https://www.ssi.gouv.fr/uploads/tl-fr.xml')
    expect(pointer?.tslType).toBe(TSL_TYPES.euGeneric)
    expect(pointer?.signingCertificates).toHaveLength(3)
    const subjects = (pointer?.signingCertificates ?? []).map((der) => describeCertificate(der).subjectCommonName)
    expect(subjects.every((cn) => cn !== undefined && /\d{10}[a-z]{2}$/.test(cn))).toBe(true)
    const fingerprints = (pointer?.signingCertificates ?? []).map((der) => describeCertificate(der).fingerprintSha256)
    expect(fingerprints).toContain(describeCertificate(jorry).fingerprintSha256)
    expect(lotl.pointers.filter((p) => p.territory === 'FR').map((p) => p.location)).toEqual([
      'https://www.ssi.gouv.fr/uploads/tl-fr.pdf',
      'https://www.ssi.gouv.fr/uploads/tl-fr.xml',
    ])
  })
})
