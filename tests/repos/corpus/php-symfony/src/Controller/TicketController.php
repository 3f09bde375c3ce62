<?php

namespace App\Controller;

use App\Repository\TicketRepository;
use Symfony\Bundle\FrameworkBundle\Controller\AbstractController;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\Routing\Attribute\Route;

class TicketController extends AbstractController
{
    #[Route('/tickets', name: 'ticket_index')]
    public function index(TicketRepository $tickets): Response
    {
        return $this->render('ticket/index.html.twig', ['tickets' => $tickets->findOpen()]);
    }
}
