// The signature policies of PES V2 flows: the identifier, the hash of the policy document and where it lives.
// Sources and the reasons for the default: research/pes.md §1.2.

import type { XmlDigestAlgorithm } from './uris.js'

/** A XAdES-EPES SignaturePolicyIdentifier. */
export interface SignaturePolicy {
  /** The policy OID, written `urn:oid:<oid>`. */
  readonly oid: string
  readonly description: string
  readonly hashAlgorithm: XmlDigestAlgorithm
  /** Base64 of the policy document's digest. */
  readonly hash: string
  /** SPURI qualifier: where the policy document can be read. */
  readonly uri?: string
}

const HELIOS = 'Politique de signature Helios de la DGFiP'
const URI_17 = 'https://www.collectivites-locales.gouv.fr/files/files/finances_locales/dematerialisation/ps_helios_dgfip.pdf'
const URI_14 = 'https://portail.dgfip.finances.gouv.fr/documents/PS_Helios_DGFiP.pdf'

/**
 * The DGFiP Hélios policy sceau writes by default: OID …21.1.7 with the hash Libriciel's s2low sends and a real
 * 2019 production signature carries.
 */
export const HELIOS_POLICY: SignaturePolicy = {
  oid: '1.2.250.1.131.1.5.18.21.1.7',
  description: HELIOS,
  hashAlgorithm: 'SHA-256',
  hash: 'roF9+cfRHNPtVJolhdqfIqGMVuUXX8aR4rpiquf0u5E=',
  uri: URI_17,
}

/**
 * Every (OID, hash) pair met in real flows. A verifier that finds one of these knows the policy; the hashes of
 * …21.1.4 are those of the 2011 policy PDF (checked in the tests against the document itself).
 */
export const KNOWN_PES_POLICIES: readonly SignaturePolicy[] = [
  HELIOS_POLICY,
  {
    oid: '1.2.250.1.131.1.5.18.21.1.7',
    description: HELIOS,
    hashAlgorithm: 'SHA-256',
    hash: 'pYtFgzn09kQWZywqdIGVd1fFI07tjKmEAyQHr0l/YAk=',
    uri: URI_17,
  },
  { oid: '1.2.250.1.131.1.5.18.21.1.4', description: HELIOS, hashAlgorithm: 'SHA-1', hash: 'Jkdb+aba0Hz6+ZPKmKNhPByzQ+Q=', uri: URI_14 },
  {
    oid: '1.2.250.1.131.1.5.18.21.1.4',
    description: HELIOS,
    hashAlgorithm: 'SHA-256',
    hash: 'pYtFgzn09kQWZywqdIGVd1fFI07tjKmEAyQHr0l/YAk=',
    uri: URI_14,
  },
]

/** The OIDs of the Hélios policy. */
export const PES_POLICY_OIDS: readonly string[] = ['1.2.250.1.131.1.5.18.21.1.7', '1.2.250.1.131.1.5.18.21.1.4']

/**
 * Certificate policies of the free DGFiP "Signature Helios Finances Publiques" certificates, which the DGFiP
 * accepts for PES besides RGS certificates (policy text §4.4). Seen in the DGFiP-issued signer certificate of
 * fixtures/pes/test-perime-04-04-2016.xml.
 */
export const DGFIP_CERTIFICATE_POLICY_OIDS: readonly string[] = ['1.2.250.1.131.1.5.18.20.1.5.2']
