import { describe, expect, it } from 'vitest'
import { statusOf } from './judge-changes.js'

describe('statusOf', () => {
  it('applies ISO 32000 DocMDP levels, and treats an approval signature as pyHanko does, with warnings', () => {
    const levels = ['structure', 'signing', 'form-filling', 'annotation', 'overlay', 'other'] as const
    const table = Object.fromEntries(
      ([undefined, 1, 2, 3] as const).map((p) => [String(p ?? 'approval'), levels.map((level) => statusOf(level, p))]),
    )
    expect(table).toEqual({
      approval: ['pass', 'pass', 'warning', 'warning', 'fail', 'fail'],
      '1': ['pass', 'fail', 'fail', 'fail', 'fail', 'fail'],
      '2': ['pass', 'pass', 'pass', 'fail', 'fail', 'fail'],
      '3': ['pass', 'pass', 'pass', 'pass', 'warning', 'fail'],
    })
  })
})
