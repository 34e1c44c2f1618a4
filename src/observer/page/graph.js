// The link/monitor graph: processes with any relation on a circle, links
// as lines, monitors as dashed arrows. Plain SVG: small graphs only (the
// busiest 60 processes by relations), which is what a person can read.
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

  /** Draws `processes` (the snapshot's) into `svg`. */
  function drawGraph(svg, processes) {
    const byPid = new Map(processes.map((p) => [p.pid, p]))
    const degree = (p) => p.links.length + p.monitors.length + p.monitoredBy.length
    const shown = processes
      .filter((p) => degree(p) > 0)
      .sort((a, b) => degree(b) - degree(a))
      .slice(0, MAX)
    const at = new Map()
    const [w, h] = [600, 420]
    const r = Math.min(w, h) / 2 - 40
    shown.forEach((p, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, shown.length) - Math.PI / 2
      at.set(p.pid, [w / 2 + r * Math.cos(a), h / 2 + r * Math.sin(a)])
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
    for (const p of shown) {
      const [x1, y1] = at.get(p.pid)
      for (const l of p.links) {
        if (!at.has(l) || l < p.pid) continue
        const [x2, y2] = at.get(l)
        svg.append(el('line', { class: 'link', x1, y1, x2, y2 }))
      }
      for (const m of p.monitors) {
        if (!at.has(m)) continue
        const [x2, y2] = at.get(m)
        svg.append(el('line', { class: 'monitor', x1, y1, x2, y2, 'marker-end': 'url(#arrow)' }))
      }
    }
    for (const p of shown) {
      const [x, y] = at.get(p.pid)
      const g = el('g', { 'data-pid': p.pid })
      g.append(el('circle', { cx: x, cy: y, r: 6, class: byPid.get(p.pid).kind }))
      g.append(el('text', { x: x + 8, y: y + 3 }, label(p)))
      g.append(el('title', {}, `${p.pid} ${p.names.join(', ')}`))
      svg.append(g)
    }
    if (shown.length === 0) svg.append(el('text', { x: 20, y: 30 }, 'no links or monitors'))
  }

  window.drawGraph = drawGraph
})()
