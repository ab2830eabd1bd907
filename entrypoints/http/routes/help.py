"""GET /help/hosted-model: how to give the agent a hosted language model. The offline model links here from its
answers ("use a hosted model") so that configuration — settings, keys — stays out of the chat. The full reference
is docs/llm.md; this page is the part a person needs to get going, served by the app itself (no internet needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailagent: use a hosted model</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}
code,pre{background:#f2f2f2;padding:.1rem .3rem}pre{padding:.6rem;overflow-x:auto}</style>
</head>
<body>
<h1>Use a hosted model</h1>
<p>Without a language model the agent is the built-in assistant: it understands simple requests about your mail
(summaries, searches, replies, archiving) and nothing else. With a hosted model it understands requests in your own
words. Whichever model answers, sending, replying and trashing still wait for your approval.</p>
<p>An administrator sets the model where mailagent runs (in its environment or <code>.env</code> file) and restarts
it:</p>
<h2>Anthropic (Claude)</h2>
<pre>MAILAGENT_LLM_PROVIDER=anthropic
MAILAGENT_LLM_MODEL=claude-sonnet-4-5
MAILAGENT_LLM_API_KEY=sk-ant-...</pre>
<h2>OpenAI, or a server that speaks its API (Ollama, vLLM, LM Studio)</h2>
<pre>MAILAGENT_LLM_PROVIDER=openai
MAILAGENT_LLM_MODEL=gpt-4o-mini
MAILAGENT_LLM_API_KEY=sk-...
# a local server instead: its address and model name
MAILAGENT_LLM_BASE_URL=http://127.0.0.1:11434/v1
MAILAGENT_LLM_MODEL=llama3.1</pre>
<p>Rather than putting the key in the environment, store it encrypted: <code>mailagent llm set-key</code> (it asks
for the key without showing it); <code>mailagent llm status</code> shows what is configured, never the key.</p>
<p>Everything else (timeouts, retries, what each error means) is in <code>docs/llm.md</code> in the repository.</p>
<p><a href="/agent">Back to the agent</a></p>
</body>
</html>
"""


@router.get("/help/hosted-model", response_class=HTMLResponse)
def hosted_model_help() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Cache-Control": "no-cache"})
