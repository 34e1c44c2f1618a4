// The link/monitor graph: processes with any relation on a circle, links
// as lines, monitors as dashed arrows. Plain SVG: small graphs only (the
// busiest 60 processes by relations), which is what a person can read. A
// relation with a process the page does not list (of another node or
// thread: the OBSERVER's caller, say) ends at a grey stub for that node, so
// no process floats with its relations undrawn.
;(() => {
  const NS = 'http://www.w3.org/2000/svg'
  const MAX = 60

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name)
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
    if (text !== undefined) e.textContent = text
    return e
  }

  function label(p) {
    return p.names.length > 0 ? p.names[0] : p.pid.replace(/^<.*\.(\d+)>$/, '<$1>')
  }

  /** Draws `processes` (the snapshot's, of node `here`) into `svg`. */
  function drawGraph(svg, processes, here) {
    const byPid = new Map(processes.map((p) => [p.pid, p]))
    const degree = (p) => p.links.length + p.monitors.length + p.monitoredBy.length
    const shown = processes
      .filter((p) => degree(p) > 0)
      .sort((a, b) => degree(b) - degree(a))
      .slice(0, MAX)
    // One stub per node (or for this node's other threads) that relations leave the page for.
    const stubs = new Map()
    const end = (pid) => {
      if (byPid.has(pid)) return pid
      const node = /^<(.*)\.\d+>$/.exec(pid)?.[1] ?? '?'
      const key = `node:${node}`
      if (!stubs.has(key)) stubs.set(key, node === here ? 'other threads' : node)
      return key
    }
    for (const p of shown) for (const x of [...p.links, ...p.monitors, ...p.monitoredBy]) end(x)
    const ids = [...shown.map((p) => p.pid), ...stubs.keys()]
    const at = new Map()
    const [w, h] = [600, 420]
    const r = Math.min(w, h) / 2 - 40
    ids.forEach((id, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, ids.length) - Math.PI / 2
      at.set(id, [w / 2 + r * Math.cos(a), h / 2 + r * Math.sin(a)])
    })
    svg.replaceChildren()
    const defs = el('defs', {})
    const marker = el('marker', {
      id: 'arrow',
      viewBox: '0 0 10 10',
      refX: 16,
      refY: 5,
      markerWidth: 6,
      markerHeight: 6,
      orient: 'auto-start-reverse',
    })
    marker.append(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#c84' }))
    defs.append(marker)
    svg.append(defs)
    const line = (cls, from, to) => {
      if (!at.has(from) || !at.has(to)) return
      const [x1, y1] = at.get(from)
      const [x2, y2] = at.get(to)
      const attrs = { class: cls, x1, y1, x2, y2, 'data-from': from, 'data-to': to }
      if (cls === 'monitor') attrs['marker-end'] = 'url(#arrow)'
      svg.append(el('line', attrs))
    }
    for (const p of shown) {
      // A link between two listed processes is drawn once.
      for (const l of p.links) if (!byPid.has(l) || l > p.pid) line('link', p.pid, end(l))
      for (const m of p.monitors) line('monitor', p.pid, end(m))
      // A listed watcher draws its own monitor; one elsewhere is drawn here.
      for (const m of p.monitoredBy) if (!byPid.has(m)) line('monitor', end(m), p.pid)
    }
    for (const p of shown) {
      const [x, y] = at.get(p.pid)
      const g = el('g', { 'data-pid': p.pid })
      g.append(el('circle', { cx: x, cy: y, r: 6, class: byPid.get(p.pid).kind }))
      g.append(el('text', { x: x + 8, y: y + 3 }, label(p)))
      g.append(el('title', {}, `${p.pid} ${p.names.join(', ')}`))
      svg.append(g)
    }
    for (const [key, name] of stubs) {
      const [x, y] = at.get(key)
      const g = el('g', { 'data-stub': key })
      g.append(el('circle', { cx: x, cy: y, r: 5, class: 'stub' }))
      g.append(el('text', { x: x + 8, y: y + 3, class: 'stub' }, name))
      g.append(el('title', {}, `processes of ${name} related to processes here`))
      svg.append(g)
    }
    if (shown.length === 0) svg.append(el('text', { x: 20, y: 30 }, 'no links or monitors'))
  }

  window.drawGraph = drawGraph
})()
