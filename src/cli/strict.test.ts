import { describe, expect, it } from 'vitest'
import type { Check } from '../verdicts.js'
import { strictReport } from './strict.js'

const pass: Check = { id: 'a', status: 'pass', reason: 'ok' }
const warning: Check = { id: 'timestamp', status: 'warning', reason: 'the signature time-stamp proves nothing' }
const failed: Check = { id: 'cms.signature', status: 'fail', subIndication: 'SIG_CRYPTO_FAILURE', reason: 'does not verify' }

describe('strictReport', () => {
  it('makes a passed signature with a warning INDETERMINATE, and its document with it (PDF and XML shapes)', () => {
    const report = strictReport({
      kind: 'pdf',
      indication: 'TOTAL_PASSED' as const,
      checks: [pass],
      signatures: [
        { field: 'S1', indication: 'TOTAL_PASSED' as const, checks: [pass] },
        { field: 'S2', indication: 'TOTAL_PASSED' as const, checks: [pass, warning] },
      ],
    })
    expect(report).toMatchObject({ kind: 'pdf', indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' })
    expect(report.signatures.map((signature) => signature.indication)).toEqual(['TOTAL_PASSED', 'INDETERMINATE'])
    expect(report.signatures[1]?.field).toBe('S2')
  })

  it('keeps TOTAL_FAILED and INDETERMINATE verdicts as they are, and judges CAdES counter-signatures too', () => {
    const report = strictReport({
      indication: 'TOTAL_FAILED' as const,
      subIndication: 'SIG_CRYPTO_FAILURE' as const,
      checks: [],
      signatures: [
        {
          indication: 'TOTAL_FAILED' as const,
          subIndication: 'SIG_CRYPTO_FAILURE' as const,
          checks: [failed, warning],
          counterSignatures: [],
        },
        {
          indication: 'TOTAL_PASSED' as const,
          checks: [pass],
          counterSignatures: [{ indication: 'TOTAL_PASSED' as const, checks: [warning], counterSignatures: [] }],
        },
      ],
    })
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' })
    expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' })
    expect(report.signatures[1]?.counterSignatures[0]).toMatchObject({
      indication: 'INDETERMINATE',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    })
  })

  it('makes a document check warning INDETERMINATE, and leaves a clean report passed', () => {
    expect(strictReport({ indication: 'TOTAL_PASSED' as const, checks: [warning], signatures: [] }).indication).toBe('INDETERMINATE')
    expect(strictReport({ indication: 'TOTAL_PASSED' as const, checks: [pass], signatures: [] })).toEqual({
      indication: 'TOTAL_PASSED',
      subIndication: undefined,
      checks: [pass],
      signatures: [],
    })
  })
})
