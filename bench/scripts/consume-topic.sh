#!/bin/bash
# Times `anomalyd run` (a separate process, as deployed) consuming a topic the bench filled, from its
# first offset commit to the commit that covers the last event. The argument replaces the commented
# threshold line of the stream rule in config/anomalyd.yaml, e.g. "    threshold: 1" (no alerts).
# The skew check is off: the bench's traffic is dated from 2026-01-01 whenever it is produced, and
# with the shipped 7-day bound every event would be dead-lettered instead of scored.
# NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") go to the daemon's node.
# Usage: KAFKA_BROKERS=host:port bench/scripts/consume-topic.sh "    # no override" [topic]
set -euo pipefail
cd "$(dirname "$0")/../.."
BROKERS="${KAFKA_BROKERS:?set KAFKA_BROKERS to the broker the bench used}"
TOPIC="${2:-bench-input-s1000-r1000-p4-v1}"
G=consume-$RANDOM$RANDOM
CONFIG=$(mktemp --suffix=.yaml)
sed -e "s#../models/eps-gru#$PWD/models/eps-gru#" -e "s#port: 9464#port: 0#" -e "s#fromBeginning: false#fromBeginning: true#" -e "s#topics: \[metrics.eps\]#topics: [$TOPIC]#" -e "s#groupId: anomalyd#groupId: $G#" -e "s#level: info#level: warn#" -e "s#maxTimestampSkewMs: [0-9]*#maxTimestampSkewMs: 0#" -e "s|    # threshold: 0.02 .*|$1|" config/anomalyd.yaml > "$CONFIG"
KAFKA_BROKERS=$BROKERS node ${NODE_ARGS:-} bin/anomalyd.js run --config "$CONFIG" 2>/dev/null &
PID=$!
node -e "
const {Kafka,logLevel}=require('kafkajs');const k=new Kafka({brokers:'$BROKERS'.split(','),logLevel:logLevel.NOTHING});const a=k.admin();
(async()=>{await a.connect();const ends=await a.fetchTopicOffsets('$TOPIC');const total=ends.reduce((s,e)=>s+Number(e.high),0);let t0=null;
for(;;){const [c]=await a.fetchOffsets({groupId:'$G',topics:['$TOPIC']});const done=c.partitions.reduce((s,p)=>s+Math.max(0,Number(p.offset)),0);
if(done>0&&t0===null)t0=Date.now();if(done>=total){console.log('events',total,'seconds',((Date.now()-t0)/1000).toFixed(2),'events/s',Math.round(total/((Date.now()-t0)/1000)));break;}await new Promise(r=>setTimeout(r,100));}
await a.disconnect();})()"
kill -TERM $PID; wait $PID 2>/dev/null || true
rm -f "$CONFIG"
