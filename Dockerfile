# One image for the web and worker processes (docker-compose.yml picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY db ./db
COPY prompts ./prompts
COPY tsconfig.json ./
USER node
EXPOSE 3000
CMD ["node", "bin/closer.js", "web"]
