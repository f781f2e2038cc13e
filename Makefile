.PHONY: start test lint bench install

install:
	npm install

start:
	npm start

test:
	npm test

lint:
	npm run lint

bench:
	npm run bench
