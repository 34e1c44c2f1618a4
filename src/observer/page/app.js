// The observer page: one snapshot per second over Server-Sent Events
// (/events); rates are computed here from each process's `handled` counter.
;(() => {
  const WINDOW = 120 // seconds of history in the chart
  const $ = (sel) => document.querySelector(sel)
  const history = { t: [], rate: [], queued: [] }
  let previous = null
  let chart = null
  let last = null
  let lastRates = new Map()
  // The y-axes' tops: "nice" numbers that move only when the data leaves them
  // (up at once, down once the window's peak is well below), so a steady rate
  // draws as a steady line instead of an axis that rescales every second.
  const tops = { rate: null, queued: null }

  /** The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= x. */
  function niceCeil(x) {
    const p = 10 ** Math.floor(Math.log10(x))
    for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p
    return 10 * p
  }

  function steadyTop(key, values) {
    let peak = 0
    for (const v of values) if (v !== null && v > peak) peak = v
    const want = niceCeil(Math.max(1, peak * 1.15))
    const top = tops[key]
    if (top === null || want > top || want < top / 2.5) tops[key] = want
    return tops[key]
  }

  function td(text, cls) {
    const e = document.createElement('td')
    e.textContent = String(text)
    if (cls) e.className = cls
    return e
  }

  function row(cells, attrs = {}) {
    const tr = document.createElement('tr')
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v)
    tr.append(...cells)
    return tr
  }

  function bytes(n) {
    if (n < 1024) return `${n} B`
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
    return `${(n / 1024 / 1024).toFixed(1)} MiB`
  }

  /** Messages per second per pid since the previous snapshot. */
  function rates(s) {
    const out = new Map()
    if (previous === null) return out
    const dt = (s.time - previous.time) / 1000
    if (dt <= 0) return out
    const before = new Map(previous.processes.map((p) => [p.pid, p.handled]))
    for (const p of s.processes) {
      const b = before.get(p.pid)
      out.set(p.pid, b === undefined ? p.handled / dt : Math.max(0, p.handled - b) / dt)
    }
    return out
  }

  function drawChart(s, perPid) {
    let total = 0
    for (const v of perPid.values()) total += v
    history.t.push(s.time / 1000)
    history.rate.push(previous === null ? null : Math.round(total * 10) / 10)
    history.queued.push(s.processes.reduce((n, p) => n + p.mailbox, 0))
    while (history.t.length > WINDOW) for (const k of Object.keys(history)) history[k].shift()
    const data = [history.t, history.rate, history.queued]
    if (chart === null) {
      const el = $('#chart')
      chart = new uPlot(
        {
          width: Math.max(300, el.clientWidth - 10),
          height: 220,
          scales: {
            // The time axis is always the last WINDOW seconds up to the newest snapshot, whatever
            // the data (one point alone, e.g. with the node down, made uPlot span years).
            x: {
              time: true,
              range: () => {
                const end = history.t[history.t.length - 1]
                return [end - WINDOW, end]
              },
            },
            rate: { range: () => [0, steadyTop('rate', history.rate)] },
            queued: { range: () => [0, steadyTop('queued', history.queued)] },
          },
          series: [
            {},
            { label: 'messages/s', stroke: '#48c', width: 2, scale: 'rate' },
            { label: 'queued', stroke: '#c84', width: 1.5, scale: 'queued' },
          ],
          axes: [
            {},
            { scale: 'rate', label: 'msgs/s' },
            { scale: 'queued', side: 1, label: 'queued', grid: { show: false } },
          ],
        },
        data,
        el,
      )
      window.addEventListener('resize', () => chart.setSize({ width: Math.max(300, el.clientWidth - 10), height: 220 }))
    } else chart.setData(data)
  }

  function drawProcesses(s, perPid) {
    const f = $('#filter').value.trim().toLowerCase()
    const rows = s.processes
      .filter((p) => f === '' || p.pid.toLowerCase().includes(f) || p.names.some((n) => n.toLowerCase().includes(f)))
      .map((p) =>
        row(
          [
            td(p.pid, 'pid'),
            td(p.names.join(', ')),
            td(p.kind),
            td(p.status),
            td(p.mailbox, 'num'),
            td(p.handled, 'num'),
            td((perPid.get(p.pid) ?? 0).toFixed(1), 'num'),
            td(bytes(p.memory), 'num'),
            td(p.links.length, 'num'),
            td(p.monitors.length, 'num'),
            td(p.trapExit ? 'yes' : ''),
          ],
          { 'data-pid': p.pid, 'data-names': p.names.join(' ') },
        ),
      )
    $('#processes tbody').replaceChildren(...rows)
  }

  function drawTree(s) {
    const sups = new Map(s.supervisors.map((x) => [x.pid, x]))
    const names = new Map(s.processes.map((p) => [p.pid, p.names]))
    const childOf = new Set()
    for (const x of s.supervisors) for (const c of x.children ?? []) if (c.pid) childOf.add(c.pid)
    const item = (pid, seen) => {
      const li = document.createElement('li')
      const sup = sups.get(pid)
      const label = `${pid} ${(names.get(pid) ?? []).join(', ')}`
      if (sup === undefined || seen.has(pid)) {
        li.textContent = label
        return li
      }
      seen.add(pid)
      const head = document.createElement('span')
      head.className = 'sup'
      head.textContent = `${label} (supervisor)`
      li.append(head)
      const ul = document.createElement('ul')
      if (sup.children === null)
        ul.append(Object.assign(document.createElement('li'), { textContent: 'busy: no answer' }))
      for (const c of sup.children ?? []) {
        const kid =
          c.pid === null ? Object.assign(document.createElement('li'), { className: 'gone' }) : item(c.pid, seen)
        kid.prepend(`${c.id} [${c.restart}]: `)
        if (c.pid === null) kid.append('not running')
        kid.setAttribute('data-child', c.id)
        if (c.pid) kid.setAttribute('data-pid', c.pid)
        ul.append(kid)
      }
      li.append(ul)
      return li
    }
    const roots = s.supervisors.filter((x) => !childOf.has(x.pid))
    const top = document.createElement('ul')
    const seen = new Set()
    for (const r of roots) top.append(item(r.pid, seen))
    $('#tree').replaceChildren(roots.length === 0 ? 'no supervisors' : top)
  }

  function drawNodes(s) {
    const rows = s.peers.map((p) =>
      row(
        [
          td(p.name, 'pid'),
          td(p.state),
          td(p.addr ?? '-'),
          td(p.state === 'up' ? p.epoch : '-', 'num'),
          td(p.error ?? ''),
        ],
        {
          'data-node': p.name,
        },
      ),
    )
    $('#nodes tbody').replaceChildren(...(rows.length > 0 ? rows : [row([td('no other nodes known')])]))
  }

  function drawExits(s) {
    const rows = s.exits
      .slice()
      .reverse()
      .map((x) =>
        row(
          [
            td(new Date(x.time).toLocaleTimeString()),
            td(x.pid, 'pid'),
            td(x.child ?? '-'),
            td(x.reason),
            td(x.restartedAs ?? '', 'pid'),
          ],
          { 'data-pid': x.pid, 'data-child': x.child ?? '', 'data-restarted-as': x.restartedAs ?? '' },
        ),
      )
    $('#exits tbody').replaceChildren(...(rows.length > 0 ? rows : [row([td('no exits recorded')])]))
  }

  function draw(s) {
    // A snapshot sent again (a reconnected stream gets the latest at once) is not new.
    if (previous !== null && s.time <= previous.time) return
    const perPid = rates(s)
    lastRates = perPid
    $('#node').textContent = `${s.node} at ${s.address}`
    $('#summary').textContent =
      `${s.processCount} processes (${s.processes.length} on the main thread), rss ${bytes(s.memory.rss)}, heap ${bytes(s.memory.heapUsed)}`
    drawChart(s, perPid)
    drawProcesses(s, perPid)
    drawTree(s)
    window.drawGraph($('#graph'), s.processes, s.node)
    drawNodes(s)
    drawExits(s)
    previous = s
  }

  function status(up, text) {
    const c = $('#conn')
    c.className = `conn ${up ? 'up' : 'down'}`
    c.textContent = text
  }

  const token = new URLSearchParams(location.search).get('token')
  const events = new EventSource(token ? `events?token=${encodeURIComponent(token)}` : 'events')
  events.onmessage = (e) => {
    last = JSON.parse(e.data)
    status(true, 'live')
    draw(last)
  }
  events.addEventListener('failure', (e) => status(false, `node unreachable: ${JSON.parse(e.data).error}`))
  events.onerror = () => status(false, 'disconnected; retrying')
  $('#filter').addEventListener('input', () => last && drawProcesses(last, lastRates))
})()
