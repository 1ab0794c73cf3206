import type * as TS from 'typescript';

/** One callable function found in the sources. */
export interface FoundCall {
  name: string;
  kind: 'sijax' | 'comet';
  className: string;
  methodName: string;
  file: string;
}

const CLASS_DECORATORS: Record<string, FoundCall['kind']> = {
  CometHandler: 'comet',
  SijaxHandler: 'sijax',
};
const METHOD_DECORATORS: Record<string, FoundCall['kind']> = {
  CometCallback: 'comet',
  SijaxCallback: 'sijax',
};
/** Never registered by a class decorator (the runtime skips them too). */
const SKIPPED = new Set([
  'constructor',
  'onModuleInit',
  'onModuleDestroy',
  'onApplicationBootstrap',
  'onApplicationShutdown',
  'beforeApplicationShutdown',
]);

/**
 * The Sijax and Comet functions declared in one source file, read from its syntax only (no type
 * checking, so it is fast and needs no build): `@CometHandler()` / `@SijaxHandler()` classes
 * register their public methods; `@CometCallback(name?)` / `@SijaxCallback(name?)` one method,
 * under a literal name (a string, or `{ name: '...' }`) or the method's own.
 */
export function scanCalls(ts: typeof TS, source: TS.SourceFile): FoundCall[] {
  const found: FoundCall[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isClassDeclaration(node) && node.name && isExported(ts, node)) {
      found.push(...callsOfClass(ts, node, node.name.text, source.fileName));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function callsOfClass(
  ts: typeof TS,
  node: TS.ClassDeclaration,
  className: string,
  file: string,
): FoundCall[] {
  const classKind = decoratorsOf(ts, node)
    .map(({ name }) => CLASS_DECORATORS[name])
    .find(Boolean);
  const calls: FoundCall[] = [];
  for (const member of node.members) {
    if (!ts.isMethodDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
    const methodName = member.name.text;
    const own = decoratorsOf(ts, member).find(({ name }) => METHOD_DECORATORS[name]);
    if (own) {
      const name = literalName(ts, own.args[0]) ?? methodName;
      calls.push({ name, kind: METHOD_DECORATORS[own.name], className, methodName, file });
    } else if (classKind && isPublicMethod(ts, member, methodName)) {
      calls.push({ name: methodName, kind: classKind, className, methodName, file });
    }
  }
  return calls;
}

function decoratorsOf(
  ts: typeof TS,
  node: TS.HasDecorators,
): { name: string; args: readonly TS.Expression[] }[] {
  return (ts.getDecorators(node) ?? []).flatMap((decorator) => {
    const call = decorator.expression;
    if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression)) return [];
    return [{ name: call.expression.text, args: call.arguments }];
  });
}

/** `'name'`, or `{ name: 'name' }`: the public name a method decorator gives. */
function literalName(ts: typeof TS, arg: TS.Expression | undefined): string | undefined {
  if (!arg) return undefined;
  if (ts.isStringLiteralLike(arg)) return arg.text;
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  for (const property of arg.properties) {
    if (
      ts.isPropertyAssignment(property) &&
      ts.isIdentifier(property.name) &&
      property.name.text === 'name'
    ) {
      return ts.isStringLiteralLike(property.initializer) ? property.initializer.text : undefined;
    }
  }
  return undefined;
}

function isPublicMethod(ts: typeof TS, member: TS.MethodDeclaration, name: string): boolean {
  if (name.startsWith('_') || SKIPPED.has(name)) return false;
  const hidden = [
    ts.SyntaxKind.PrivateKeyword,
    ts.SyntaxKind.ProtectedKeyword,
    ts.SyntaxKind.StaticKeyword,
  ];
  return !(ts.getModifiers(member) ?? []).some((modifier) => hidden.includes(modifier.kind));
}

function isExported(ts: typeof TS, node: TS.ClassDeclaration): boolean {
  return (ts.getModifiers(node) ?? []).some(
    (modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword,
  );
}
