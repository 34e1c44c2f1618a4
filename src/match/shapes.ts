// Generated from crates/pattern/src (ir.rs, flat.rs, compile.rs) by ts-rs: do not edit.
// The test crates/pattern/src/tests/shapes.rs fails when this file and the Rust types
// disagree; `BFLY_BLESS=1 cargo test -p bfly-pattern shapes` rewrites it.

/**
 * A matcher's clauses, as the facade sends them.
 */
export type Clauses = { clauses: Array<Pat>, 
/**
 * Class names for `explain`, by index.
 */
classes: Array<string>, 
/**
 * Guard names for `explain`, by index.
 */
guards: Array<string>, };

/**
 * One pattern.
 */
export type Pat = { "k": "any" } | { "k": "lit", lit: Lit, } | { "k": "type", t: TypeTag, } | { "k": "arr", items: Array<Pat>, rest?: Rest, } | { "k": "obj", keys: Array<[string, Pat]>, } | { "k": "arrayOf", of: Pat, } | { "k": "inst", cls: number, fields: Array<[string, Pat]>, } | { "k": "when", guard: number, } | { "k": "union", of: Array<Pat>, } | { "k": "not", of: Pat, } | { "k": "optional", of: Pat, } | { "k": "sel", name: string | null, of: Pat, };

/**
 * The `P.rest(p?)` at the end of an array pattern.
 */
export type Rest = { 
/**
 * What each remaining element must match (`None`: anything).
 */
of?: Pat, };

/**
 * A literal value.
 */
export type Lit = { "t": "null" } | { "t": "undef" } | { "t": "bool", "v": boolean } | { "t": "num", "v": string } | { "t": "str", "v": string } | { "t": "big", "v": string } | { "t": "sym", "v": string } | { "t": "js", "v": number };

/**
 * Type wildcards.
 */
export type TypeTag = "string" | "number" | "boolean" | "bigint" | "symbol" | "nullish" | "pid";

/**
 * A compiled matcher: tables, rows and the DAG from `root`.
 */
export type Dag = { paths: Array<Path>, tests: Array<Test>, subs: Array<Dag>, rows: Array<Row>, nodes: Array<DagNode>, root: number, 
/**
 * True for the fallback shape: tests must be memoized by the
 * evaluator because the same test can sit on several paths.
 */
memo: boolean, clauses: number, };

/**
 * A node of the decision DAG.
 */
export type DagNode = { "n": "fail" } | { "n": "leaf", row: number, } | { "n": "test", test: number, yes: number, no: number, };

/**
 * One step from a value to a part of it.
 */
export type Step = { "s": "root" } | { "s": "index", "v": number } | { "s": "key", "v": string };

/**
 * An access path: its parent and the last step.
 */
export type Path = { parent: number, step: Step, };

/**
 * What an atomic test checks about the value at its path.
 */
export type Check = { "c": "isArray" } | { "c": "isObject" } | { "c": "has", key: string, } | { "c": "lenEq", n: number, } | { "c": "lenGe", n: number, } | { "c": "eq", lit: Lit, } | { "c": "type", t: TypeTag, } | { "c": "inst", cls: number, } | { "c": "guard", guard: number, } | { "c": "all", from: number, sub: number, } | { "c": "match", sub: number, } | { "c": "not", sub: number, };

/**
 * An atomic test.
 */
export type Test = { path: number, } & ({ "c": "isArray" } | { "c": "isObject" } | { "c": "has", key: string, } | { "c": "lenEq", n: number, } | { "c": "lenGe", n: number, } | { "c": "eq", lit: Lit, } | { "c": "type", t: TypeTag, } | { "c": "inst", cls: number, } | { "c": "guard", guard: number, } | { "c": "all", from: number, sub: number, } | { "c": "match", sub: number, } | { "c": "not", sub: number, });

/**
 * Where a selection's value comes from.
 */
export type Binding = { "b": "path", path: number, } | { "b": "sub", test: number, name: string | null, };

/**
 * One clause alternative: its tests in order and its selections.
 */
export type Row = { clause: number, tests: Array<number>, bind: Array<[string | null, Binding]>, };
