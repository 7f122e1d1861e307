// A tiny A2A agent for the docker demo: the @a2a-js/sdk server on express, answering every
// message with "echo: <text>" as a direct Message. PORT and PUBLIC_URL come from the environment.

import express from 'express';
import { Role, type AgentCard, type Message } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

const port = Number(process.env['PORT'] ?? 8000);
const publicUrl = process.env['PUBLIC_URL'] ?? `http://localhost:${port}`;

const card: AgentCard = {
  name: 'echo',
  description: 'Answers every message with "echo: <text>"',
  supportedInterfaces: [{ url: `${publicUrl}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
  provider: undefined,
  version: '1.0.0',
  capabilities: { streaming: false, pushNotifications: false, extensions: [] },
  securitySchemes: {},
  securityRequirements: [],
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [],
  signatures: [],
};

const executor: AgentExecutor = {
  async execute(ctx, bus) {
    const said = ctx.userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    const reply: Message = {
      messageId: crypto.randomUUID(),
      contextId: ctx.contextId,
      taskId: '',
      role: Role.ROLE_AGENT,
      parts: [{ content: { $case: 'text', value: `echo: ${said}` }, mediaType: 'text/plain', filename: '', metadata: undefined }],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
    bus.publish(AgentEvent.message(reply));
    bus.finished();
  },
  async cancelTask() {
    // Nothing runs long enough to cancel.
  },
};

const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
const app = express();
app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
app.listen(port, '0.0.0.0', () => console.log(`echo agent on ${publicUrl}`));
