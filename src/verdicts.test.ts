import { describe, expect, it } from 'vitest'
import { worst, type Check, type CheckStatus } from './verdicts.js'

const check = (status: CheckStatus): Check =>
  status === 'fail'
    ? { id: 'test.fail', status, subIndication: 'HASH_FAILURE', reason: status }
    : status === 'indeterminate'
      ? { id: 'test.indeterminate', status, subIndication: 'TRY_LATER', reason: status }
      : { id: `test.${status}`, status, reason: status }

describe('worst', () => {
  it('passes an empty list', () => {
    expect(worst([])).toBe('pass')
  })

  it('orders fail > indeterminate > warning > pass, whatever the order of the list', () => {
    expect(worst([check('pass'), check('warning')])).toBe('warning')
    expect(worst([check('warning'), check('indeterminate'), check('pass')])).toBe('indeterminate')
    expect(worst([check('fail'), check('indeterminate'), check('warning')])).toBe('fail')
    expect(worst([check('indeterminate'), check('fail')])).toBe('fail')
  })

  it('keeps a check JSON-serialisable as it is', () => {
    const value: Check = {
      id: 'validity.notAfter',
      status: 'fail',
      subIndication: 'EXPIRED',
      reason: 'expired on 2024-03-01T00:00:00.000Z',
      subject: 'CN=x',
    }
    expect(JSON.parse(JSON.stringify(value))).toEqual(value)
  })
})
