// The PES benchmarks' outside references: xadesjs signing a flow as a Node developer would make it sign PES (global
// XAdES-EPES, Hélios policy, exc-c14n), and xmlsec1 checking any contestant's output.
import { execFileSync } from 'node:child_process'
import { webcrypto } from 'node:crypto'
import { DOMParser, XMLSerializer } from '@xmldom/xmldom'
import * as xadesjs from 'xadesjs'
import { PES_ROOT_ID } from './pes-flow.js'

export const XADES_111 = 'http://uri.etsi.org/01903/v1.1.1#'
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'

// Helios policy of research/pes.md §1.6, so the SignedProperties weigh what they weigh in production.
export const POLICY = {
  oid: 'urn:oid:1.2.250.1.131.1.5.18.21.1.7',
  description: 'Politique de signature Helios de la DGFiP',
  digest: 'roF9+cfRHNPtVJolhdqfIqGMVuUXX8aR4rpiquf0u5E=',
  uri: 'https://www.collectivites-locales.gouv.fr/files/files/finances_locales/dematerialisation/ps_helios_dgfip.pdf',
}

// xmlsec1 registers Id attributes only on the elements it is told about; xadesjs writes XAdES 1.3.2, sceau and
// pes-sign.ts's xmlsec1 template 1.1.1.
export const ID_ATTRS = [
  '--id-attr:Id',
  'PES_Aller',
  '--id-attr:Id',
  `${XADES_111}:SignedProperties`,
  '--id-attr:Id',
  'http://uri.etsi.org/01903/v1.3.2#:SignedProperties',
]

/** Whether `xmlsec1 --verify` accepts the signed flow in `file` (certificate trust not checked). */
export function xmlsec1Verifies(file: string): boolean {
  try {
    execFileSync('xmlsec1', ['--verify', '--insecure', ...ID_ATTRS, file], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

// xadesjs canonicalises SignedInfo with inclusive C14N and gives the SignedProperties reference no transform (so
// inclusive C14N again); PES wants exc-c14n for both (research/pes.md §1.3, §1.5), which takes this much code.
class PesSignedXml extends xadesjs.SignedXml {
  protected override async ApplySignOptions(...args: Parameters<xadesjs.SignedXml['ApplySignOptions']>): Promise<void> {
    await super.ApplySignOptions(...args)
    const [signature] = args
    signature.SignedInfo.CanonicalizationMethod.Algorithm = EXC_C14N
    const references = signature.SignedInfo.References
    references.Item(references.Count - 1)!.Transforms.Add(this.ResolveTransform('exc-c14n'))
  }
}

/**
 * Sets xadesjs up for an RSA-2048 key (PKCS#8 DER) and its certificate (DER); the returned function signs one
 * ISO-8859-1 PES flow globally on `#PESROOT` and returns the signed flow's bytes.
 */
export async function xadesjsPesSigner(pkcs8: Uint8Array, certificateDer: Uint8Array): Promise<(flow: Buffer) => Promise<Buffer>> {
  xadesjs.Application.setEngine('NodeJS', webcrypto as unknown as Crypto)
  // npm nests one copy of xml-core under xadesjs and another under xmldsigjs (their xmldom/xpath peers clash with
  // ours), so xadesjs.setNodeDependencies reaches only one of them; both fall back to these globals.
  Object.assign(globalThis, { DOMParser, XMLSerializer })
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign'])
  const certificate = Buffer.from(certificateDer).toString('base64')
  return async (flow) => {
    const doc = new DOMParser().parseFromString(flow.toString('latin1'), 'application/xml')
    const signed = new PesSignedXml(doc)
    const signature = await signed.Sign({ name: 'RSASSA-PKCS1-v1_5' }, key as CryptoKey, doc, {
      // PES wants the certificate alone in KeyInfo, no KeyValue (research/pes.md §1.5).
      x509: [certificate],
      references: [{ uri: `#${PES_ROOT_ID}`, hash: 'SHA-256', transforms: ['enveloped', 'exc-c14n'] }],
      signingCertificate: { certificate, digestAlgorithm: 'SHA-256' },
      policy: {
        identifier: { value: POLICY.oid, description: POLICY.description },
        hash: 'SHA-256',
        digestValue: POLICY.digest,
        qualifiers: [POLICY.uri],
      },
      productionPlace: { city: 'NICE', code: '06000', country: 'FRANCE' },
      signerRole: { claimed: ['Maire'] },
    })
    doc.documentElement.appendChild(signature.GetXml() as Node)
    return Buffer.from(new XMLSerializer().serializeToString(doc), 'latin1')
  }
}
