import type { InventoryKey } from '../pkcs11/inventory.js'

/** One line describing a key: class, algorithm, label, protection. */
export function describeKeyChoice(key: InventoryKey): string {
  const algorithm = key.type === 'RSA' ? `RSA ${key.size}` : key.type === 'EC' ? `EC ${key.curve}` : 'unsupported type'
  const protection =
    key.class === 'private'
      ? [
          key.sensitive === true ? 'sensitive' : key.sensitive === false ? 'NOT sensitive' : undefined,
          key.neverExtractable === true ? 'never extractable' : key.extractable === true ? 'EXTRACTABLE' : undefined,
          key.alwaysAuthenticate ? 'PIN at every signature' : undefined,
          key.certificateId === null ? 'no certificate' : undefined,
        ].filter(Boolean)
      : []
  return `${key.class} key "${key.label}" (id ${key.id || '-'}) ${algorithm}${protection.length > 0 ? ` [${protection.join(', ')}]` : ''}\n    ${key.uri}`
}
