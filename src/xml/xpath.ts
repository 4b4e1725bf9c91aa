// XPath 1.0 as XML-DSig transforms use it, on the `xpath` package: expressions compiled once and evaluated per
// node, prefixes bound from the XPath element's namespace context, and XML-DSig's here() function (§6.6.3.3).

import xpath from 'xpath'
import { SceauError } from '../errors.js'
import { XML_NS } from './c14n-method.js'
import { namespacesInScope } from './dom.js'

/** The part of the `xpath` package's parsed-expression API used here (its typings leave `parse` out). */
interface Evaluator {
  evaluateBoolean(options: EvaluationOptions): boolean
  select(options: EvaluationOptions): Node[]
}

interface EvaluationOptions {
  node: Node
  namespaces: Record<string, string>
  functions: (name: string, namespace?: string) => ((...args: unknown[]) => unknown) | undefined
}

const parse = (xpath as unknown as { parse(expression: string): Evaluator }).parse

/** An expression of a ds:XPath or dsig-xpath:XPath element, ready to evaluate. */
export interface CompiledXPath {
  /** The expression's boolean value with `node` as context node (the XPath transform's test). */
  test(node: Node): boolean
  /** The node-set the expression selects from `node` (XPath Filter 2.0 evaluates from the document root). */
  select(node: Node): Node[]
}

/**
 * Compiles the text of an XPath element with the namespaces in scope on it; here() returns that element.
 *
 * @example
 * ```ts
 * const filter = compileXPath(xpathElement)
 * const kept = input.filter((node) => filter.test(node))
 * ```
 * @throws SceauError INPUT_MALFORMED when the expression does not parse, ALGORITHM_UNSUPPORTED when it calls a
 * function XPath 1.0 and XML-DSig do not define.
 */
export function compileXPath(element: Element): CompiledXPath {
  const expression = element.textContent ?? ''
  let evaluator: Evaluator
  try {
    evaluator = parse(expression)
  } catch (cause) {
    throw new SceauError('INPUT_MALFORMED', `the XPath expression "${expression}" does not parse`, { cause, details: { expression } })
  }
  const namespaces: Record<string, string> = { xml: XML_NS }
  for (const [prefix, uri] of namespacesInScope(element)) if (prefix !== '') namespaces[prefix] = uri
  const here = [element]
  const functions = (name: string, namespace?: string): ((...args: unknown[]) => unknown) | undefined =>
    name === 'here' && (namespace === undefined || namespace === null || namespace === '') ? () => here : undefined
  const options = (node: Node): EvaluationOptions => ({ node, namespaces, functions })
  const run = <T>(evaluate: () => T): T => {
    try {
      return evaluate()
    } catch (cause) {
      throw new SceauError('ALGORITHM_UNSUPPORTED', `the XPath expression "${expression}" cannot be evaluated: ${String(cause)}`, {
        cause,
        details: { expression },
      })
    }
  }
  return {
    test: (node) => run(() => evaluator.evaluateBoolean(options(node))),
    select: (node) => run(() => evaluator.select(options(node))),
  }
}
