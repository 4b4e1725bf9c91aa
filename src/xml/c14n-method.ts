// The six canonicalisation algorithms XML-DSig names (Canonical XML 1.0 and 1.1, Exclusive XML Canonicalization
// 1.0, each with or without comments), and what the inclusive ones carry over from an apex element's ancestors:
// its in-scope namespaces and attributes in the xml namespace.

export const C14N_10 = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
export const C14N_10_WITH_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments'
export const C14N_11 = 'http://www.w3.org/2006/12/xml-c14n11'
export const C14N_11_WITH_COMMENTS = 'http://www.w3.org/2006/12/xml-c14n11#WithComments'
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
export const EXC_C14N_WITH_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments'

export const XML_NS = 'http://www.w3.org/XML/1998/namespace'

/** Which canonical form: inclusive 1.0 (`c14n`), inclusive 1.1 (`c14n11`) or exclusive (`exc-c14n`). */
export type C14nVersion = 'c14n' | 'c14n11' | 'exc-c14n'

/** A canonicalisation algorithm with its parameters. */
export interface C14nMethod {
  readonly version: C14nVersion
  /** Keep comments (the WithComments algorithms), when the node-set holds them. */
  readonly comments: boolean
  /** exc-c14n InclusiveNamespaces PrefixList (`#default` names the default namespace). */
  readonly prefixes?: readonly string[]
}

/** The exclusive canonicalisation PES signatures use: the default of the streaming functions. */
export const EXCLUSIVE: C14nMethod = { version: 'exc-c14n', comments: false }

const BY_URI: Readonly<Record<string, Omit<C14nMethod, 'prefixes'>>> = {
  [C14N_10]: { version: 'c14n', comments: false },
  [C14N_10_WITH_COMMENTS]: { version: 'c14n', comments: true },
  [C14N_11]: { version: 'c14n11', comments: false },
  [C14N_11_WITH_COMMENTS]: { version: 'c14n11', comments: true },
  [EXC_C14N]: { version: 'exc-c14n', comments: false },
  [EXC_C14N_WITH_COMMENTS]: { version: 'exc-c14n', comments: true },
}

/**
 * The method an algorithm URI names, or undefined when it is not a canonicalisation algorithm.
 *
 * @example
 * ```ts
 * c14nMethodFromUri('http://www.w3.org/2006/12/xml-c14n11#WithComments') // { version: 'c14n11', comments: true }
 * ```
 */
export function c14nMethodFromUri(uri: string, prefixes?: readonly string[]): C14nMethod | undefined {
  const method = BY_URI[uri]
  if (method === undefined) return undefined
  return method.version === 'exc-c14n' && prefixes !== undefined ? { ...method, prefixes } : method
}

/** An attribute in the xml namespace (`xml:lang`, `xml:space`, `xml:base`, `xml:id`…), as written on an element. */
export interface XmlAttribute {
  /** Local name: `lang`, `space`, `base`, `id`… */
  readonly name: string
  readonly value: string
}

/**
 * The xml:* attributes an inclusive canonical form adds to an element whose parent is not rendered.
 * `ancestors` are those of the omitted ancestors, outermost first; `own` the element's own.
 *
 * - Canonical XML 1.0 §2.4: the nearest occurrence of every xml:* attribute the element does not carry.
 * - Canonical XML 1.1 §2.4: xml:lang and xml:space likewise; xml:id never; xml:base joined with the omitted
 *   ancestors' values (and the element's own value replaced by the joined one); other xml:* attributes are plain.
 *
 * Returns the attributes to add and, for 1.1, the value replacing the element's own xml:base ('' drops it).
 */
export function inheritedXmlAttributes(
  version: C14nVersion,
  ancestors: readonly XmlAttribute[],
  own: readonly XmlAttribute[],
): { added: XmlAttribute[]; ownBase?: string } {
  if (version === 'exc-c14n' || ancestors.length === 0) return { added: [] }
  const owned = new Set(own.map((attribute) => attribute.name))
  const added: XmlAttribute[] = []
  const seen = new Set<string>()
  for (let k = ancestors.length - 1; k >= 0; k--) {
    const attribute = ancestors[k] as XmlAttribute
    if (seen.has(attribute.name) || owned.has(attribute.name)) continue
    seen.add(attribute.name)
    if (version === 'c14n' || attribute.name === 'lang' || attribute.name === 'space') added.push(attribute)
  }
  if (version === 'c14n') return { added }
  const bases = ancestors.filter((attribute) => attribute.name === 'base').map((attribute) => attribute.value)
  const ownBase = own.find((attribute) => attribute.name === 'base')?.value
  if (bases.length === 0) return { added }
  // libxml2 (xmlC14NFixupBaseAttr) resolves the nearest value against each farther one in turn.
  let value = ownBase ?? (bases.pop() as string)
  for (let k = bases.length - 1; k >= 0; k--) value = joinUriReferences(bases[k] as string, value)
  if (ownBase !== undefined) return { added, ownBase: value }
  if (value !== '') added.push({ name: 'base', value })
  return { added }
}

/**
 * Resolves `reference` against `base` as Canonical XML 1.1 §2.4 (join-URI-References) does: RFC 3986 §5.2 with a
 * base that may itself be relative, so leading `..` segments that cannot be removed are kept.
 */
export function joinUriReferences(base: string, reference: string): string {
  const r = parseUri(reference)
  // A base whose last segment is `.` or `..` names a directory (libxml2 appends the slash before resolving).
  const b = parseUri(/(^|\/)\.\.?$/.test(base) ? `${base}/` : base)
  let scheme: string | undefined
  let authority: string | undefined
  let path: string
  let query: string | undefined
  if (r.scheme !== undefined) {
    scheme = r.scheme
    authority = r.authority
    path = removeDotSegments(r.path)
    query = r.query
  } else {
    if (r.authority !== undefined) {
      authority = r.authority
      path = removeDotSegments(r.path)
      query = r.query
    } else {
      if (r.path === '') {
        path = b.path
        query = r.query ?? b.query
      } else {
        if (r.path.startsWith('/')) path = removeDotSegments(r.path)
        else path = removeDotSegments(merge(b, r.path))
        query = r.query
      }
      authority = b.authority
    }
    scheme = b.scheme
  }
  let result = ''
  if (scheme !== undefined) result += `${scheme}:`
  if (authority !== undefined) result += `//${authority}`
  result += path
  if (query !== undefined) result += `?${query}`
  if (r.fragment !== undefined) result += `#${r.fragment}`
  return result
}

interface UriParts {
  scheme?: string
  authority?: string
  path: string
  query?: string
  fragment?: string
}

function parseUri(uri: string): UriParts {
  // RFC 3986 Appendix B.
  const match = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(uri) as RegExpExecArray
  return { scheme: match[1], authority: match[2], path: match[3] ?? '', query: match[4], fragment: match[5] }
}

function merge(base: UriParts, path: string): string {
  if (base.authority !== undefined && base.path === '') return `/${path}`
  const slash = base.path.lastIndexOf('/')
  return slash < 0 ? path : base.path.slice(0, slash + 1) + path
}

/** RFC 3986 §5.2.4, except that `..` segments with nothing left to remove stay in a relative path. */
function removeDotSegments(path: string): string {
  const absolute = path.startsWith('/')
  const segments = (absolute ? path.slice(1) : path).split('/')
  const out: string[] = []
  for (let k = 0; k < segments.length; k++) {
    const segment = segments[k] as string
    const last = k === segments.length - 1
    if (segment === '.') {
      if (last) out.push('')
    } else if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!absolute) out.push('..')
      if (last) out.push('')
    } else out.push(segment)
  }
  return (absolute ? '/' : '') + out.join('/')
}
