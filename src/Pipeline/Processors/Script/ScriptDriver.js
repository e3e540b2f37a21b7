// Pipeline's script driver (Processors/Script/ScriptDriver.js). The host evaluates this expression after the user's
// script and calls the function it returns once per batch: one call into the engine per batch, not per event, because
// each call costs 10-15 us of host overhead. Events come in as one JSON array and leave as one JSON text, which is
// cheaper than touching .NET objects property by property. Each event runs in its own try/catch, so an event whose
// process() throws fails alone and the rest of the batch still counts.
(function (outputNamesJson, maxLogLines, maxLineLength) {
  'use strict';
  const outputNames = JSON.parse(outputNamesJson);
  const slots = new Map(outputNames.map((name, index) => [name, index]));
  if (typeof process !== 'function') {
    throw new TypeError('the script defines no process(event, emit) function');
  }
  const userProcess = process;
  // Jint's runtime counts what each event allocates (its heap_limit); V8 has no such global and limits the heap itself.
  const eventStarts = typeof __pipelineEventStarts === 'function' ? __pipelineEventStarts : null;
  let current = 0;
  let outputs = [];
  let logs = [];
  let logsLeftOut = 0;

  function describeKind(value) {
    return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  }

  function emit(event, output) {
    let slot = -1;
    if (output !== undefined && output !== null) {
      slot = slots.get(output);
      if (slot === undefined) {
        throw new TypeError("emit: unknown output '" + String(output) + "'; the stage declares " +
          (outputNames.length > 0 ? 'outputs: ' + outputNames.join(', ') : 'no named outputs (add them under outputs:)'));
      }
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new TypeError('emit: expected an event object, found ' + describeKind(event));
    }
    // Serialized now: what the script does to the object after emitting it does not change what was emitted.
    outputs.push(current + ',' + slot + ',' + JSON.stringify(event));
  }

  function text(value) {
    if (typeof value === 'string') {
      return value;
    }
    if (value instanceof Error) {
      return String(value.stack || value);
    }
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (e) {
      return String(value);
    }
  }

  function writer(level) {
    return function () {
      if (logs.length >= maxLogLines) {
        logsLeftOut++;
        return;
      }
      let line = Array.prototype.map.call(arguments, text).join(' ');
      if (line.length > maxLineLength) {
        line = line.slice(0, maxLineLength) + '... (' + line.length + ' characters)';
      }
      logs.push([current, level, line]);
    };
  }

  globalThis.console = { debug: writer(1), log: writer(2), info: writer(2), warn: writer(3), error: writer(4) };

  // Frames of this driver say nothing to the user; the message and the user's own frames do.
  function describe(error) {
    if (error instanceof Error) {
      const header = error.name + ': ' + error.message;
      let stack = String(error.stack || header);
      // V8's stack starts with the message; Jint's is the frames alone.
      if (stack.indexOf(header) !== 0) {
        stack = header + '\n' + stack;
      }
      return stack.split('\n').filter(line => line.indexOf('pipeline:driver') < 0).join('\n');
    }
    return 'uncaught ' + text(error);
  }

  return function run(eventsJson) {
    const events = JSON.parse(eventsJson);
    outputs = [];
    logs = [];
    logsLeftOut = 0;
    const failures = [];
    for (let i = 0; i < events.length; i++) {
      current = i;
      const mark = outputs.length;
      if (eventStarts !== null) {
        eventStarts();
      }
      try {
        userProcess(events[i], emit);
      } catch (error) {
        // What the event emitted before it failed is not its output.
        outputs.length = mark;
        failures.push([i, describe(error)]);
      }
    }
    return '{"o":[' + outputs.join(',') + '],"f":' + JSON.stringify(failures) + ',"l":' + JSON.stringify(logs) +
      ',"d":' + logsLeftOut + '}';
  };
})
