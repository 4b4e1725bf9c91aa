// Builds fixtures/hostile/xml/ from real signed documents of fixtures/: each file keeps a genuine signature intact
// and adds or moves content the way signature-wrapping attacks do (McIntosh & Austel, "XML signature element
// wrapping attacks and countermeasures", 2005; Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be",
// 2012), or adds what a canonical form must see. fixtures/hostile/xml/EXPECTED.md says what verify must answer.
// Run: npx tsx scripts/hostile-xml.ts (the output is deterministic; the files are committed).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'fixtures', 'hostile', 'xml')
const pes = readFileSync(join(root, 'fixtures', 'pes', 'PESALR2_25060187900027_190328_001.xml')).toString('latin1')
const lotl = readFileSync(join(root, 'fixtures', 'tl', 'EU-LOTL-seq332-2023-09-27.xml')).toString('utf8')

/** The signed Bordereau N10025 and its parts. */
const bordereauStart = pes.indexOf('<Bordereau Id="N10025">')
const bordereauEnd = pes.indexOf('</Bordereau>', bordereauStart) + '</Bordereau>'.length
const signatureStart = pes.indexOf('<ds:Signature', bordereauStart)
const signedBordereau = pes.slice(bordereauStart, bordereauEnd)
/** The same Bordereau without its signature and with its amount changed: what an attacker wants paid. */
const forged = (id: string | undefined, attributes = ''): string =>
  (pes.slice(bordereauStart, signatureStart) + '</Bordereau>')
    .replace('<Bordereau Id="N10025">', `<Bordereau${id === undefined ? '' : ` Id="${id}"`}${attributes}>`)
    .replace('<MtBordHT V="4874.40"/>', '<MtBordHT V="9874.40"/>')

function insertBefore(text: string, marker: string, from: number, insertion: string): string {
  const at = text.indexOf(marker, from)
  if (at < 0) throw new Error(`marker ${marker} not found`)
  return text.slice(0, at) + insertion + text.slice(at)
}

const files: Record<string, { text: string; encoding: BufferEncoding }> = {
  // A forged Bordereau in the ds:Object of the genuine signature, beside QualifyingProperties: the enveloped
  // transform removes the signature from the signed Bordereau, so every digest still matches.
  'pes-bordereau-in-object.xml': {
    text: insertBefore(pes, '</ds:Object>', signatureStart, forged('HIDDEN1')),
    encoding: 'latin1',
  },
  // The same in ds:KeyInfo, which no Reference signs.
  'pes-bordereau-in-keyinfo.xml': {
    text: insertBefore(pes, '</ds:KeyInfo>', signatureStart, forged('HIDDEN2')),
    encoding: 'latin1',
  },
  // A forged Bordereau beside the signed one, under a foreign default namespace: not the PES schema's Bordereau
  // for a namespace-aware reader, yet the element a careless one would process.
  'pes-bordereau-foreign-namespace.xml': {
    text: pes.slice(0, bordereauEnd) + forged('EVIL1', ' xmlns="urn:example:not-pes"') + pes.slice(bordereauEnd),
    encoding: 'latin1',
  },
  // A plain second Bordereau, no signature at all.
  'pes-bordereau-unsigned.xml': {
    text: pes.slice(0, bordereauEnd) + forged('N10026') + pes.slice(bordereauEnd),
    encoding: 'latin1',
  },
  // McIntosh & Austel's simple wrapping: a forged Bordereau carrying the signed one's Id, placed first, so that a
  // verifier resolving the first Id digests the genuine one while the application reads the forged one.
  'pes-duplicate-id.xml': {
    text: pes.slice(0, bordereauStart) + forged('N10025') + pes.slice(bordereauStart),
    encoding: 'latin1',
  },
  // Somorovsky's XSW: the genuine Bordereau, with its signature, moved under a foreign wrapper element (prefixed,
  // so that the Bordereau keeps its namespace and its digest); a forged one without Id takes its place, where the
  // application looks.
  'pes-signed-bordereau-moved.xml': {
    text:
      pes.slice(0, bordereauStart) +
      forged(undefined) +
      `<w:Wrapper xmlns:w="urn:example:wrapper">${signedBordereau}</w:Wrapper>` +
      pes.slice(bordereauEnd),
    encoding: 'latin1',
  },
  // A second SignedProperties carrying the signed one's Id, with another signing time, in KeyInfo.
  'pes-signed-properties-duplicate-id.xml': {
    text: insertBefore(
      pes,
      '</ds:KeyInfo>',
      signatureStart,
      pes
        .slice(pes.indexOf('<xad:SignedProperties', signatureStart), pes.indexOf('</xad:SignedProperties>', signatureStart) + 23)
        .replace(/<xad:SigningTime>[^<]*/, '<xad:SigningTime>2030-01-01T00:00:00Z'),
    ),
    encoding: 'latin1',
  },
  // A processing instruction after the root of a document signed with URI="": part of the canonical form of the
  // document node (Canonical XML 1.0 §2.3), so the digest breaks (xmlsec1 rejects it too).
  'tl-pi-after-root.xml': { text: `${lotl.trimEnd()}\n<?xml-stylesheet type="text/xsl" href="evil.xsl"?>\n`, encoding: 'utf8' },
  // The same before the root.
  'tl-pi-before-root.xml': {
    text: insertBefore(lotl, '<TrustServiceStatusList', 0, '<?xml-stylesheet type="text/xsl" href="evil.xsl"?>\n'),
    encoding: 'utf8',
  },
}

mkdirSync(out, { recursive: true })
for (const [name, { text, encoding }] of Object.entries(files)) writeFileSync(join(out, name), Buffer.from(text, encoding))
console.log(`wrote ${Object.keys(files).length} files to ${out}`)
