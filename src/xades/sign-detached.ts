/**
 * Detached XAdES signatures (ETSI EN 319 132-1 baseline B-B, or B-T with a time-stamp) of any file: a standalone
 * XML document whose root is ds:Signature, referencing the file by its name and digest (docs/xades-detached.md).
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto'
import { basename, extname } from 'node:path'
import { COMMITMENT_TYPES, type CommitmentType } from '../commitment.js'
import { encodeIssuerSerial } from '../cms/signing-certificate.js'
import { SceauError } from '../errors.js'
import { algorithmParts, defaultSha256Algorithm } from '../signer/algorithms.js'
import { hashFile } from '../signer/hash-file.js'
import type { Signer } from '../signer/signer.js'
import { requestTimestamp } from '../timestamp/rfc3161.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'
import { canonicalizeElementAt } from '../xml/digest.js'
import { elementById, indexDocument } from '../xml/index-document.js'
import { escapeText, utcDateTime } from './build-signature.js'
import { xmlDigest } from './certificate-ref.js'
import { DIGEST_URIS, DS_NS, EXC_C14N, SIGNED_PROPERTIES_TYPE, XADES_132_NS, signatureMethodUri } from './uris.js'

/** Options of {@link signXadesDetachedFile} and {@link signXadesDetached}. */
export interface SignXadesDetachedOptions {
  /** Default RSASSA-PKCS1-v1_5-SHA256 for RSA keys, ECDSA-SHA256 for EC keys; its hash digests everything else. */
  readonly algorithm?: SignatureAlgorithm
  /** SigningTime; default now. */
  readonly signingTime?: Date
  /** B-T: an RFC 3161 time-stamp on the canonical ds:SignatureValue from this authority. */
  readonly timestamp?: { readonly url: string; readonly timeoutMs?: number }
  /** SignaturePolicyIdentifier (XAdES-EPES); none by default. `hash` is the base64 digest of the policy document. */
  readonly policy?: {
    readonly oid: string
    readonly hashAlgorithm: DigestAlgorithm
    readonly hash: string
    readonly uri?: string
  }
  /** CommitmentTypeIndication over all the signed data; none by default. */
  readonly commitmentType?: CommitmentType
  /** SignerRoleV2/ClaimedRoles/ClaimedRole; none by default. */
  readonly role?: string
  /** DataObjectFormat/MimeType; default guessed from the file name's extension, else application/octet-stream. */
  readonly mimeType?: string
  /** The content Reference's URI; default the file's base name percent-encoded (RFC 3986). */
  readonly referenceUri?: string
  readonly signal?: AbortSignal
}

/** The content a detached signature covers: its digest, made with `hash`, and the name it is referenced by. */
export interface DetachedContent {
  readonly digest: Uint8Array
  readonly hash: DigestAlgorithm
  /** The file name (a base name, not percent-encoded): the default Reference URI and MIME type come from it. */
  readonly name: string
}

/**
 * Signs a file of any size as a detached XAdES signature (B-B, or B-T with `timestamp`): the file is hashed while
 * read, in 1 MiB chunks, then the signature document is built around its digest. Write the result beside the file
 * (`offre.zip.xades.xml`): its Reference names the file relatively.
 *
 * @returns the UTF-8 bytes of the signature document.
 * @throws SceauError FILE_NOT_FOUND, ALGORITHM_UNSUPPORTED, TIMESTAMP_FAILED, USAGE (a name or option that cannot go in XML).
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * import { signXadesDetachedFile } from 'sceau/xades'
 * const xml = await signXadesDetachedFile('offre.zip', signer, { commitmentType: 'approval' })
 * await writeFile('offre.zip.xades.xml', xml)
 * ```
 */
export async function signXadesDetachedFile(path: string, signer: Signer, options: SignXadesDetachedOptions = {}): Promise<Uint8Array> {
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  const { hash } = algorithmParts(algorithm)
  const digest = await hashFile(path, hash, { signal: options.signal })
  return signXadesDetached({ digest, hash, name: basename(path) }, signer, { ...options, algorithm })
}

/**
 * Signs content already hashed (by the caller, with `content.hash`, which must be the algorithm's hash) as a
 * detached XAdES signature.
 *
 * @example
 * ```ts
 * const digest = createHash('sha256').update(bytes).digest()
 * const xml = await signXadesDetached({ digest, hash: 'SHA-256', name: 'contrat.pdf' }, signer)
 * ```
 */
export async function signXadesDetached(
  content: DetachedContent,
  signer: Signer,
  options: SignXadesDetachedOptions = {},
): Promise<Uint8Array> {
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  const { hash } = algorithmParts(algorithm)
  if (content.hash !== hash) throw new SceauError('USAGE', `the content was hashed with ${content.hash} but ${algorithm} signs ${hash}`)
  if (options.referenceUri !== undefined && (options.referenceUri === '' || options.referenceUri.startsWith('#'))) {
    throw new SceauError('USAGE', `referenceUri "${options.referenceUri}" names the signature's own document, not the detached content`)
  }
  const id = `id-${randomBytes(16).toString('hex')}`
  const template: Template = {
    id,
    algorithm,
    hash,
    signer,
    contentDigest: content.digest,
    referenceUri: options.referenceUri ?? encodeURIComponent(content.name),
    mimeType: options.mimeType ?? mimeTypeOf(content.name),
    signingTime: options.signingTime ?? new Date(),
    policy: options.policy,
    commitmentUri: options.commitmentType === undefined ? undefined : COMMITMENT_TYPES[options.commitmentType].uri,
    role: options.role,
  }

  // The digests come from our own canonicaliser run on the very bytes written, so what is signed is what is read.
  const draft = render(template, {})
  const signedPropertiesDigest = base64(xmlDigest(hash, canonicalize(draft, `${id}-signedprops`)))
  const unsigned = render(template, { signedPropertiesDigest })
  const value = base64(await signer.sign(canonicalSignedInfo(unsigned), algorithm, { signal: options.signal }))
  const signed = render(template, { signedPropertiesDigest, signatureValue: value })
  if (options.timestamp === undefined) return signed

  // EN 319 132-1 §5.3: the time-stamp's imprint is over the ds:SignatureValue element, canonicalised as named.
  options.signal?.throwIfAborted()
  const { token } = await requestTimestamp(options.timestamp.url, {
    data: canonicalize(signed, `${id}-value`),
    hash,
    timeoutMs: options.timestamp.timeoutMs,
  })
  return render(template, { signedPropertiesDigest, signatureValue: value, timestampToken: base64(token) })
}

/** The canonical (exc-c14n) SignedInfo of a signature document made here: the bytes its SignatureValue signs. */
export function canonicalSignedInfo(document: Uint8Array): Uint8Array {
  const index = indexDocument(document, { keep: (localName, namespace) => localName === 'SignedInfo' && namespace === DS_NS })
  const signedInfo = index.elements.find((element) => element.localName === 'SignedInfo' && element.namespace === DS_NS)
  if (signedInfo === undefined) throw new Error('signature template without SignedInfo')
  return canonicalizeElementAt(document, index.encoding, signedInfo)
}

function canonicalize(document: Uint8Array, id: string): Uint8Array {
  const index = indexDocument(document)
  return canonicalizeElementAt(document, index.encoding, elementById(index, id))
}

interface Template {
  readonly id: string
  readonly algorithm: SignatureAlgorithm
  readonly hash: DigestAlgorithm
  readonly signer: Signer
  readonly contentDigest: Uint8Array
  readonly referenceUri: string
  readonly mimeType: string
  readonly signingTime: Date
  readonly policy: SignXadesDetachedOptions['policy']
  readonly commitmentUri: string | undefined
  readonly role: string | undefined
}

interface Filled {
  readonly signedPropertiesDigest?: string
  readonly signatureValue?: string
  readonly timestampToken?: string
}

function render(template: Template, filled: Filled): Uint8Array {
  const { id, hash, signer } = template
  const digestMethod = `<ds:DigestMethod Algorithm="${DIGEST_URIS[hash]}"/>`

  const signedInfo =
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${signatureMethodUri(template.algorithm)}"/>` +
    // No transforms: the digest is over the file's bytes as they are.
    `<ds:Reference Id="${id}-ref-content" URI="${attribute(template.referenceUri)}">${digestMethod}` +
    `<ds:DigestValue>${base64(template.contentDigest)}</ds:DigestValue></ds:Reference>` +
    `<ds:Reference Type="${SIGNED_PROPERTIES_TYPE}" URI="#${id}-signedprops"><ds:Transforms>` +
    `<ds:Transform Algorithm="${EXC_C14N}"/></ds:Transforms>${digestMethod}` +
    `<ds:DigestValue>${filled.signedPropertiesDigest ?? ''}</ds:DigestValue></ds:Reference></ds:SignedInfo>`

  const policy = template.policy
  const policyXml =
    policy === undefined
      ? ''
      : `<xades:SignaturePolicyIdentifier><xades:SignaturePolicyId><xades:SigPolicyId>` +
        `<xades:Identifier Qualifier="OIDAsURN">urn:oid:${text(policy.oid)}</xades:Identifier></xades:SigPolicyId>` +
        `<xades:SigPolicyHash><ds:DigestMethod Algorithm="${DIGEST_URIS[policy.hashAlgorithm]}"/>` +
        `<ds:DigestValue>${text(policy.hash)}</ds:DigestValue></xades:SigPolicyHash>` +
        (policy.uri === undefined
          ? ''
          : `<xades:SigPolicyQualifiers><xades:SigPolicyQualifier><xades:SPURI>${text(policy.uri)}</xades:SPURI>` +
            `</xades:SigPolicyQualifier></xades:SigPolicyQualifiers>`) +
        `</xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>`
  const roleXml =
    template.role === undefined
      ? ''
      : `<xades:SignerRoleV2><xades:ClaimedRoles><xades:ClaimedRole>${text(template.role)}</xades:ClaimedRole>` +
        `</xades:ClaimedRoles></xades:SignerRoleV2>`
  const commitmentXml =
    template.commitmentUri === undefined
      ? ''
      : `<xades:CommitmentTypeIndication><xades:CommitmentTypeId><xades:Identifier>${template.commitmentUri}</xades:Identifier>` +
        `</xades:CommitmentTypeId><xades:AllSignedDataObjects/></xades:CommitmentTypeIndication>`

  const signedProperties =
    `<xades:SignedProperties Id="${id}-signedprops"><xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${utcDateTime(template.signingTime)}</xades:SigningTime>` +
    // V2 (EN 319 132-1 §5.2.2): IssuerSerialV2 is the DER IssuerSerial, so no issuer name string form to disagree on.
    `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>${digestMethod}` +
    `<ds:DigestValue>${base64(xmlDigest(hash, signer.certificate))}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerialV2>${base64(encodeIssuerSerial(signer.certificate))}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2>` +
    policyXml +
    roleXml +
    `</xades:SignedSignatureProperties><xades:SignedDataObjectProperties>` +
    // Baseline B-B requires a DataObjectFormat per signed data object (EN 319 132-1 §6.3, table 1).
    `<xades:DataObjectFormat ObjectReference="#${id}-ref-content"><xades:MimeType>${text(template.mimeType)}</xades:MimeType>` +
    `</xades:DataObjectFormat>` +
    commitmentXml +
    `</xades:SignedDataObjectProperties></xades:SignedProperties>`

  const unsignedProperties =
    filled.timestampToken === undefined
      ? ''
      : `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="${id}-timestamp">` +
        `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><xades:EncapsulatedTimeStamp>${filled.timestampToken}` +
        `</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`

  const certificates = [signer.certificate, ...signer.chain]
    .map((certificate) => `<ds:X509Certificate>${base64(certificate)}</ds:X509Certificate>`)
    .join('')
  return new Uint8Array(
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
        `<ds:Signature xmlns:ds="${DS_NS}" Id="${id}">` +
        signedInfo +
        `<ds:SignatureValue Id="${id}-value">${filled.signatureValue ?? ''}</ds:SignatureValue>` +
        `<ds:KeyInfo><ds:X509Data>${certificates}</ds:X509Data></ds:KeyInfo>` +
        `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_132_NS}" Target="#${id}">` +
        signedProperties +
        unsignedProperties +
        `</xades:QualifyingProperties></ds:Object></ds:Signature>\n`,
      'utf8',
    ),
  )
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.xml': 'text/xml',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.doc': 'application/msword',
  '.xls': 'application/vnd.ms-excel',
  '.odt': 'application/vnd.oasis.opendocument.text',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.odp': 'application/vnd.oasis.opendocument.presentation',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
  '.rtf': 'application/rtf',
  '.p7s': 'application/pkcs7-signature',
  '.p7m': 'application/pkcs7-mime',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.7z': 'application/x-7z-compressed',
}

/**
 * The MIME type a file name's extension suggests; application/octet-stream when it suggests none.
 *
 * @example
 * ```ts
 * mimeTypeOf('offre.zip') // 'application/zip'
 * ```
 */
export function mimeTypeOf(name: string): string {
  return MIME_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream'
}

function text(value: string): string {
  return escapeText(value, 'utf8')
}

function attribute(value: string): string {
  return escapeText(value, 'utf8').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;')
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
