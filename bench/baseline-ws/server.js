// The baseline of `sellstream bench room`: the broadcast server most teams write first. Every chat
// message and every like is sent to every connected viewer as it arrives, one frame each. It speaks
// just enough of docs/protocol.md for the bench's clients: chat and like in, chat events out.
'use strict'
const { WebSocketServer } = require('ws')

const port = Number(process.argv[2] || 9300)
const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 4096 })
let likes = 0
let seq = 0

function broadcast(data) {
  for (const client of wss.clients) {
    if (client.readyState === 1) client.send(data)
  }
}

wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ v: 1, t: 'hello', you: { id: null } }))
  ws.send(JSON.stringify({ v: 1, t: 'snapshot', online: wss.clients.size, likes, chat: [] }))
  ws.on('message', (raw) => {
    let msg
    try {
      msg = JSON.parse(raw)
    } catch {
      return
    }
    if (msg.t === 'chat' && typeof msg.text === 'string') {
      seq += 1
      broadcast(JSON.stringify({ v: 1, t: 'batch', events: [{ k: 'chat', seq, id: seq, user: { id: 0, nick: 'bench' }, text: msg.text }] }))
    } else if (msg.t === 'like') {
      likes += Number(msg.n) || 1
      broadcast(JSON.stringify({ v: 1, t: 'batch', likes }))
    }
  })
})

wss.on('listening', () => console.log(`baseline listening on ${port}`))
