// Generated XML documents for the canonicaliser's tests: namespaces (default, prefixed, redeclared, undeclared),
// attributes, entities, CDATA, comments and line ends, in both encodings, with one element carrying Id="target".
// Deterministic: a seed gives the same document on every run, so a failure can be replayed from it.

/** xorshift32: `pick(n)` is a number in [0, n). */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed || 1
  return (n) => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % n
  }
}

const DSIG = 'http://www.w3.org/2000/09/xmldsig#'
const VALUES = ['v', 'a&amp;b', '&lt;tag&gt;', 'sp  ace', 'tab\there', 'nl\nx', '&#9;&#10;&#13;', '\u00e9t\u00e9', '"q"', "it's"]
const PREFIXES = ['a', 'b', 'p', 'ds']
const URIS = ['urn:a', 'urn:b', 'urn:p', DSIG, '']

/** What the generated element contents are made of. */
export interface RandomXmlOptions {
  /** Text nodes to pick from. */
  readonly texts: readonly string[]
  /** An element has up to this many children, minus one. */
  readonly children: number
  /** Content kinds besides child elements and whitespace, each drawing what it needs with `pick`. */
  readonly kinds: readonly ((pick: (n: number) => number, texts: readonly string[]) => string)[]
  /** The whitespace between children. */
  readonly whitespace: string
  /** Also put xml:space, xml:base and xml:id attributes on elements (xml:lang is always drawn). */
  readonly xmlAttributes?: boolean
  /** Markup between the XML declaration and the root element; `<!-- before -->` by default. */
  readonly prolog?: string
  /** Markup after the root element; `\n<?after the root?>` by default. */
  readonly epilog?: string
}

const BASES = ['http://example.com/a/b/', 'sub/', 'x/y/', 'http://example.org/']

/**
 * Document number `seed` of a family (`latin1`: ISO-8859-1, characters it lacks written as references), as text and
 * as the bytes of its encoding.
 */
export function randomXmlDocument(seed: number, latin1: boolean, options: RandomXmlOptions): { text: string; bytes: Buffer } {
  const xml = generate(seed * 7919 + (latin1 ? 1 : 0), latin1, options)
  const text = latin1 ? xml.replace(/[\u0100-\u{10ffff}]/gu, (c) => `&#x${(c.codePointAt(0) as number).toString(16)};`) : xml
  return { text, bytes: Buffer.from(text, latin1 ? 'latin1' : 'utf8') }
}

function generate(seed: number, latin1: boolean, options: RandomXmlOptions): string {
  const pick = seededRandom(seed)
  let target = false
  let xmlIds = 0
  const element = (depth: number, declared: string[], bound: ReadonlyMap<string, string>): string => {
    const prefix = pick(3) === 0 ? (PREFIXES[pick(PREFIXES.length)] as string) : ''
    const declarations: string[] = []
    const inScope = [...declared]
    const uris = new Map(bound)
    if (pick(3) === 0) {
      const declaredPrefix = PREFIXES[pick(PREFIXES.length)] as string
      const uri = URIS[pick(URIS.length - 1)] as string
      declarations.push(` xmlns:${declaredPrefix}="${uri}"`)
      inScope.push(declaredPrefix)
      uris.set(declaredPrefix, uri)
    }
    if (pick(4) === 0) declarations.push(` xmlns="${URIS[pick(URIS.length)]}"`)
    const usable = prefix === '' || inScope.includes(prefix) ? prefix : ''
    if (usable !== prefix && prefix !== '') {
      declarations.push(` xmlns:${prefix}="urn:${prefix}"`)
      inScope.push(prefix)
      uris.set(prefix, `urn:${prefix}`)
    }
    const name = `${prefix === '' ? '' : `${prefix}:`}e${pick(4)}`
    const attributes = new Map<string, string>()
    // Two prefixes bound to one URI must not qualify the same local name (Namespaces in XML §6.3).
    const expanded = new Set<string>()
    for (let k = pick(4); k > 0; k--) {
      const attributePrefix = pick(3) === 0 && inScope.length > 0 ? (inScope[pick(inScope.length)] as string) : ''
      const local = `k${pick(5)}`
      const value = VALUES[pick(VALUES.length)] as string
      const name = attributePrefix === '' ? local : `${attributePrefix}:${local}`
      const key = `${attributePrefix === '' ? '' : uris.get(attributePrefix)} ${local}`
      if (expanded.has(key) && !attributes.has(name)) continue
      expanded.add(key)
      attributes.set(name, value)
    }
    if (pick(5) === 0) attributes.set('xml:lang', 'fr')
    if (options.xmlAttributes === true) {
      if (pick(5) === 0) attributes.set('xml:space', pick(2) === 0 ? 'preserve' : 'default')
      if (pick(4) === 0) attributes.set('xml:base', BASES[pick(BASES.length)] as string)
      if (pick(6) === 0) attributes.set('xml:id', `x${++xmlIds}`)
      if (pick(6) === 0) attributes.set('xml:lang', pick(2) === 0 ? 'en' : '')
    }
    if (!target && (depth >= 2 || pick(4) === 0) && depth > 0) {
      target = true
      attributes.set('Id', 'target')
    }
    const quote = pick(2) === 0 ? '"' : "'"
    const attributeText = [...attributes]
      .map(([key, value]) => ` ${key}=${quote}${quote === "'" ? value.replace(/'/g, '&apos;') : value.replace(/"/g, '&quot;')}${quote}`)
      .join('')
    if (depth > 3 || pick(6) === 0) return `<${name}${declarations.join('')}${attributeText}${pick(2) === 0 ? '/>' : `></${name}>`}`
    let content = ''
    for (let k = pick(options.children); k > 0; k--) {
      // 0–3: a child element; then each of `kinds`; the last: whitespace.
      const kind = pick(options.kinds.length + 5)
      if (kind <= 3) content += element(depth + 1, inScope, uris)
      else if (kind - 4 < options.kinds.length)
        content += (options.kinds[kind - 4] as RandomXmlOptions['kinds'][number])(pick, options.texts)
      else content += options.whitespace
    }
    return `<${name}${declarations.join('')}${attributeText}>${content}</${name}>`
  }
  let body = ''
  while (!target) {
    target = false
    body = element(0, [], new Map())
  }
  const declaration = latin1 ? '<?xml version="1.0" encoding="ISO-8859-1"?>\n' : '<?xml version="1.0" encoding="UTF-8"?>\n'
  return `${declaration}${options.prolog ?? '<!-- before -->'}${body}${options.epilog ?? '\n<?after the root?>'}`
}
