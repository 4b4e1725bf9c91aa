/**
 * Parses an ETSI TS 119 612 trusted list (a national TL or the EU list of the lists) into {@link TrustedList}.
 * Structure only: the XML signature is not checked here.
 *
 * @packageDocumentation
 */

import { readQualifications } from './qualifications.js'
import type {
  DigitalIdentity,
  LocalizedText,
  OtherExtension,
  QualificationElement,
  ServiceStatusEntry,
  TrustedList,
  TrustService,
  TrustServiceProvider,
  TslPointer,
} from './types.js'
import { TL_NAMESPACES } from './uris.js'
import { child, children, elementChildren, lang, malformed, parseXmlSafely, requiredChild, requiredText, text } from './xml.js'

const TSL = TL_NAMESPACES.tsl

/** Options of {@link parseTrustedList}. */
export interface ParseTrustedListOptions {
  /** Named in error messages. */
  readonly file?: string
  /** Largest input accepted, in bytes; 20 MB by default (the biggest TLs are about 10 MB). */
  readonly maxBytes?: number
  /** Deepest element nesting accepted; 64 by default (real TLs stay under 20). */
  readonly maxDepth?: number
}

/**
 * Parses a trusted list. Never fetches anything and refuses DTDs.
 *
 * @throws SceauError `INPUT_TOO_LARGE` above `maxBytes`; `INPUT_MALFORMED` for a DOCTYPE, XML that is not
 * well-formed or nests deeper than `maxDepth`, a root that is not `TrustServiceStatusList` in the TS 119 612
 * namespace, or a mandatory element missing (the message names it, and the file when given).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const tl = parseTrustedList(readFileSync('tl-fr.xml'), { file: 'tl-fr.xml' })
 * console.log(tl.schemeTerritory, tl.sequenceNumber, tl.providers.length)
 * ```
 */
export function parseTrustedList(xml: Uint8Array | string, options: ParseTrustedListOptions = {}): TrustedList {
  const file = options.file
  const doc = parseXmlSafely(xml, { file, maxBytes: options.maxBytes ?? 20 * 1024 * 1024, maxDepth: options.maxDepth ?? 64 })
  const root = doc.documentElement
  if (root.localName !== 'TrustServiceStatusList' || root.namespaceURI !== TSL) {
    throw malformed(
      `the root element is <${root.nodeName}> (namespace "${root.namespaceURI ?? ''}"), not <TrustServiceStatusList> of ${TSL}`,
      file,
    )
  }
  const scheme = requiredChild(root, TSL, 'SchemeInformation', file)
  const tslType = requiredText(scheme, TSL, 'TSLType', file)
  const operatorNames = localized(requiredChild(scheme, TSL, 'SchemeOperatorName', file), file)
  const nextUpdate = child(scheme, TSL, 'NextUpdate')
  const nextUpdateTime = nextUpdate === undefined ? undefined : child(nextUpdate, TSL, 'dateTime')
  const providerList = child(root, TSL, 'TrustServiceProviderList')
  const pointers = child(scheme, TSL, 'PointersToOtherTSL')
  const distribution = child(scheme, TSL, 'DistributionPoints')
  return {
    versionIdentifier: integer(requiredText(scheme, TSL, 'TSLVersionIdentifier', file), 'TSLVersionIdentifier', file),
    sequenceNumber: integer(requiredText(scheme, TSL, 'TSLSequenceNumber', file), 'TSLSequenceNumber', file),
    tslType,
    isListOfLists: /listofthelists$/i.test(tslType),
    schemeOperatorName: preferred(operatorNames),
    schemeOperatorNames: operatorNames,
    schemeTerritory: requiredText(scheme, TSL, 'SchemeTerritory', file),
    issueDate: dateTime(requiredText(scheme, TSL, 'ListIssueDateTime', file), 'ListIssueDateTime', file),
    nextUpdate:
      nextUpdateTime === undefined || text(nextUpdateTime) === '' ? undefined : dateTime(text(nextUpdateTime), 'NextUpdate', file),
    distributionPoints: distribution === undefined ? [] : children(distribution, TSL, 'URI').map(text),
    pointers: pointers === undefined ? [] : children(pointers, TSL, 'OtherTSLPointer').map((pointer) => readPointer(pointer, file)),
    providers:
      providerList === undefined ? [] : children(providerList, TSL, 'TrustServiceProvider').map((provider) => readProvider(provider, file)),
  }
}

function readPointer(pointer: Element, file: string | undefined): TslPointer {
  const identities = child(pointer, TSL, 'ServiceDigitalIdentities')
  const signingCertificates =
    identities === undefined
      ? []
      : children(identities, TSL, 'ServiceDigitalIdentity').flatMap((identity) => readIdentity(identity, file).certificates)
  let territory: string | undefined
  let mimeType: string | undefined
  let tslType: string | undefined
  let schemeOperatorNames: LocalizedText[] = []
  const additional = child(pointer, TSL, 'AdditionalInformation')
  for (const info of additional === undefined ? [] : children(additional, TSL, 'OtherInformation')) {
    for (const element of elementChildren(info)) {
      if (element.localName === 'SchemeTerritory' && element.namespaceURI === TSL) territory = text(element)
      else if (element.localName === 'TSLType' && element.namespaceURI === TSL) tslType = text(element)
      else if (element.localName === 'SchemeOperatorName' && element.namespaceURI === TSL) schemeOperatorNames = localized(element, file)
      else if (element.localName === 'MimeType' && element.namespaceURI === TL_NAMESPACES.additionalTypes) mimeType = text(element)
    }
  }
  return {
    location: requiredText(pointer, TSL, 'TSLLocation', file),
    ...(territory === undefined ? {} : { territory }),
    ...(mimeType === undefined ? {} : { mimeType }),
    ...(tslType === undefined ? {} : { tslType }),
    schemeOperatorNames,
    signingCertificates,
  }
}

function readProvider(provider: Element, file: string | undefined): TrustServiceProvider {
  const info = requiredChild(provider, TSL, 'TSPInformation', file)
  const names = localized(requiredChild(info, TSL, 'TSPName', file), file)
  const tradeName = child(info, TSL, 'TSPTradeName')
  const services = child(provider, TSL, 'TSPServices')
  return {
    name: preferred(names),
    names,
    tradeNames: tradeName === undefined ? [] : localized(tradeName, file),
    services: services === undefined ? [] : children(services, TSL, 'TSPService').map((service) => readService(service, file)),
  }
}

function readService(service: Element, file: string | undefined): TrustService {
  const current = readStatusEntry(requiredChild(service, TSL, 'ServiceInformation', file), file)
  const historyElement = child(service, TSL, 'ServiceHistory')
  const history =
    historyElement === undefined ? [] : children(historyElement, TSL, 'ServiceHistoryInstance').map((h) => readStatusEntry(h, file))
  // TS 119 612 asks for newest first, but real lists do not always comply; Array.prototype.sort is stable.
  history.sort((a, b) => b.statusStartingTime.getTime() - a.statusStartingTime.getTime())
  return { ...current, history }
}

function readStatusEntry(element: Element, file: string | undefined): ServiceStatusEntry {
  const names = localized(requiredChild(element, TSL, 'ServiceName', file), file)
  const additionalServiceInfo: string[] = []
  const qualifications: QualificationElement[] = []
  const otherExtensions: OtherExtension[] = []
  const extensions = child(element, TSL, 'ServiceInformationExtensions')
  for (const extension of extensions === undefined ? [] : children(extensions, TSL, 'Extension')) {
    const critical = extension.getAttribute('Critical') === 'true'
    for (const content of elementChildren(extension)) {
      if (content.localName === 'AdditionalServiceInformation' && content.namespaceURI === TSL) {
        additionalServiceInfo.push(requiredText(content, TSL, 'URI', file))
      } else if (content.localName === 'Qualifications' && content.namespaceURI === TL_NAMESPACES.ecc) {
        qualifications.push(...readQualifications(content, file))
      } else {
        otherExtensions.push({ namespace: content.namespaceURI ?? '', name: content.localName ?? content.nodeName, critical })
      }
    }
  }
  const definitions = child(element, TSL, 'SchemeServiceDefinitionURI')
  return {
    typeIdentifier: requiredText(element, TSL, 'ServiceTypeIdentifier', file),
    name: preferred(names),
    names,
    digitalIdentity: readIdentity(requiredChild(element, TSL, 'ServiceDigitalIdentity', file), file),
    status: requiredText(element, TSL, 'ServiceStatus', file),
    statusStartingTime: dateTime(requiredText(element, TSL, 'StatusStartingTime', file), 'StatusStartingTime', file),
    additionalServiceInfo,
    qualifications,
    schemeServiceDefinitionUris: definitions === undefined ? [] : children(definitions, TSL, 'URI').map(text),
    otherExtensions,
  }
}

function readIdentity(identity: Element, file: string | undefined): DigitalIdentity {
  const certificates: Uint8Array[] = []
  const subjectNames: string[] = []
  const subjectKeyIdentifiers: string[] = []
  for (const id of children(identity, TSL, 'DigitalId')) {
    for (const element of elementChildren(id)) {
      if (element.namespaceURI !== TSL) continue
      if (element.localName === 'X509Certificate') certificates.push(base64(text(element), 'X509Certificate', file))
      else if (element.localName === 'X509SubjectName') subjectNames.push(text(element))
      else if (element.localName === 'X509SKI')
        subjectKeyIdentifiers.push(Buffer.from(base64(text(element), 'X509SKI', file)).toString('hex'))
    }
  }
  return { certificates, subjectNames, subjectKeyIdentifiers }
}

function localized(parent: Element, file: string | undefined): LocalizedText[] {
  const names = children(parent, TSL, 'Name').map((name) => {
    const language = lang(name)
    return { ...(language === undefined ? {} : { lang: language }), value: text(name) }
  })
  if (names.length === 0) throw malformed(`the mandatory element <Name> is missing from <${parent.localName}>`, file)
  return names
}

function preferred(names: readonly LocalizedText[]): string {
  return (names.find((name) => name.lang === 'en') ?? names[0])?.value ?? ''
}

function integer(value: string, element: string, file: string | undefined): number {
  if (!/^\d{1,9}$/.test(value)) throw malformed(`<${element}> holds "${value}", not a number`, file)
  return Number(value)
}

// xs:dateTime with an explicit zone; TLs use UTC ("Z"). A date without a zone would be read in local time.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

function dateTime(value: string, element: string, file: string | undefined): Date {
  const date = new Date(value)
  if (!DATE_TIME.test(value) || Number.isNaN(date.getTime())) {
    throw malformed(`<${element}> holds "${value}", not an xs:dateTime with a time zone`, file)
  }
  return date
}

function base64(value: string, element: string, file: string | undefined): Uint8Array {
  const compact = value.replace(/\s+/g, '')
  // Buffer.from skips characters it does not know; a corrupted certificate must fail here, not later.
  if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw malformed(`<${element}> is not base64`, file)
  }
  return Uint8Array.from(Buffer.from(compact, 'base64'))
}
