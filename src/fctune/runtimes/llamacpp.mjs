// fctune's bridge to a real llama.cpp (node-llama-cpp): read a request as JSON on stdin, answer JSON on stdout.
//   node llamacpp.mjs RUNTIME_DIR < {"gguf": PATH, "max_tokens": N, "conversations": [{"messages": [...], "tools": [...]}]}
// For each conversation: the GGUF's embedded chat template rendered by the Jinja engine node-llama-cpp uses
// (with and without the generation prompt), the prompt node-llama-cpp's own JinjaTemplateChatWrapper builds
// from a chat history with functions (system and user turns only), llama.cpp's tokens for the prompt, and a
// greedy completion decoded by llama.cpp. Nothing here knows the chat format: it all comes from the file.
import {createRequire} from "node:module";
import {pathToFileURL} from "node:url";
import path from "node:path";

const runtime = process.argv[2];
const load = async (name) => {
  const resolved = createRequire(path.join(runtime, "package.json")).resolve(name);
  return import(pathToFileURL(resolved).href);
};
const {getLlama, JinjaTemplateChatWrapper} = await load("node-llama-cpp");
const {Template} = await load("@huggingface/jinja");

const input = await new Promise((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
});
const request = JSON.parse(input);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: request.gguf});
const template = model.fileInfo.metadata?.tokenizer?.chat_template;
if (!template) throw new Error(`${request.gguf}: no tokenizer.chat_template in the file`);
const jinja = new Template(template);
// No template arguments beyond messages and tools: what the file's template does by default is what
// llama-server --jinja and LM Studio do, and it must be the training prompt.
const wrapper = new JinjaTemplateChatWrapper({template, tokenizer: model.tokenizer});
// One thread per physical core: llama.cpp's default (every logical CPU) spin-waits and runs many
// times slower on a small machine (measured: 16 tokens of a 135M model, 50 s on 4 threads, 0.8 s on 2).
const context = await model.createContext({contextSize: request.context_size ?? 2048,
  threads: request.threads || llama.cpuMathCores});

function chatHistory(messages) {
  if (!messages.every((m) => m.role === "system" || m.role === "user")) return null;
  const history = messages.map((m) => (m.role === "system" ? {type: "system", text: m.content} : {type: "user", text: m.content}));
  history.push({type: "model", response: []});
  return history;
}

async function complete(tokens, maxTokens) {
  const sequence = context.getSequence();
  const out = [];
  try {
    for await (const token of sequence.evaluate(tokens, {temperature: 0})) {
      if (model.isEogToken(token)) break;
      out.push(token);
      if (out.length >= maxTokens) break;
    }
  } finally {
    sequence.dispose();
  }
  return out;
}

const results = [];
for (const conversation of request.conversations) {
  const tools = conversation.tools?.length ? conversation.tools : undefined;
  const params = {messages: conversation.messages, tools};
  const templatePrompt = jinja.render({...params, add_generation_prompt: true});
  const templateFull = jinja.render({...params, add_generation_prompt: false});
  const history = chatHistory(conversation.messages);
  let wrapperPrompt = null;
  if (history) {
    const functions = tools && Object.fromEntries(tools.map((t) => [t.function.name,
      {description: t.function.description, params: t.function.parameters}]));
    wrapperPrompt = wrapper.generateContextState({chatHistory: history, availableFunctions: functions}).contextText.toString();
  }
  const promptTokens = Array.from(model.tokenize(templatePrompt, true));
  const completion = await complete(promptTokens, request.max_tokens ?? 64);
  results.push({template_prompt: templatePrompt, template_full: templateFull, wrapper_prompt: wrapperPrompt,
    prompt_tokens: promptTokens, completion_tokens: completion, text: model.detokenize(completion, true)});
}
await context.dispose();
await model.dispose();
process.stdout.write(JSON.stringify({llama_cpp: "node-llama-cpp", results}));
